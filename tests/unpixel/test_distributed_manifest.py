"""The manifest of ``restore --ray``: lines appended whole, read back, and what counts as done."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from unpixel.distributed_manifest import (
    DONE,
    FAILED,
    InputStamp,
    ManifestWriter,
    failure_text,
    is_done,
    new_entry,
    output_facts,
    read_manifest,
)
from unpixel.errors import SinkError, SourceError


def _done_entry(src, dest):
    return new_entry(src, dest, "image", InputStamp.of(src)) | output_facts(dest) | {"status": DONE}


@pytest.fixture
def files(tmp_path):
    src, dest = tmp_path / "in.png", tmp_path / "out" / "in.png"
    src.write_bytes(b"input bytes")
    dest.parent.mkdir()
    dest.write_bytes(b"output bytes")
    return src, dest


def test_output_facts_hash_the_file(files):
    _, dest = files
    facts = output_facts(dest)
    assert facts == {
        "output": str(dest),
        "output_size": 12,
        "sha256": hashlib.sha256(b"output bytes").hexdigest(),
    }


def test_the_last_line_of_an_input_wins_and_broken_lines_are_ignored(tmp_path, files):
    src, dest = files
    path = tmp_path / "m.jsonl"
    with ManifestWriter(path) as writer:
        writer.append(new_entry(src, dest, "image", None) | {"error": "first try"})
        writer.append(_done_entry(src, dest))
    with path.open("a") as f:
        f.write('{"input": "cut short by a cra')  # a crash in the middle of a line
        f.write("\n[1, 2]\n")  # not an object
    entries = read_manifest(path)
    assert list(entries) == [str(src)] and entries[str(src)]["status"] == DONE
    assert len(path.read_text().splitlines()) == 4
    with ManifestWriter(path) as writer:  # appends, never truncates
        writer.append(new_entry(src, dest, "image", None))
    assert read_manifest(path)[str(src)]["status"] == FAILED
    assert read_manifest(tmp_path / "none.jsonl") == {}


def test_done_only_while_input_and_output_are_unchanged(files):
    src, dest = files
    entry = _done_entry(src, dest)
    assert is_done(entry, src, dest)
    assert not is_done(None, src, dest)
    assert not is_done(entry | {"status": FAILED}, src, dest)
    assert not is_done(entry, src, dest.with_name("other.png"))  # another output
    dest.write_bytes(b"output bytez")  # same size, other bytes
    assert not is_done(entry, src, dest)
    dest.write_bytes(b"output bytes")
    assert is_done(entry, src, dest)
    os.utime(src, ns=(0, 0))  # the input touched since
    assert not is_done(entry, src, dest)
    entry = _done_entry(src, dest)
    assert is_done(entry, src, dest)
    dest.unlink()  # the output removed since
    assert not is_done(entry, src, dest)


def test_names_that_are_not_utf8_survive_the_round_trip(tmp_path):
    name = os.fsdecode(b"caf\xe9.png")  # latin-1 bytes: a surrogate escape in Python
    path = tmp_path / "m.jsonl"
    with ManifestWriter(path) as writer:
        writer.append({"input": name, "status": DONE})
    assert list(read_manifest(path)) == [name]
    json.loads(path.read_text())  # the file itself stays plain ASCII JSON


def test_an_unwritable_manifest_is_a_sink_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SinkError, match="cannot write the manifest"):
        ManifestWriter(tmp_path / "file" / "m.jsonl")


def test_failure_text_names_the_type_of_a_bug_only():
    assert failure_text(SourceError("x.png is not a readable image")) == (
        "x.png is not a readable image"
    )
    assert failure_text(KeyError("boom")) == "KeyError: 'boom'"
