"""Label Studio server fixtures (see tests/plugins/labelstudio.py)."""
