"""Reusable wizard widgets: field rows, secret inputs, the live check panel, the skip modal."""
