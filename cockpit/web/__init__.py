"""The Dash app: a page shell built from layout files, state in the URL, few generic callbacks."""

__version__ = "0.1.0"  # Dash names the partial plotly.js bundle it serves from here with it
