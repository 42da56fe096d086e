"""unpixel_export."""
