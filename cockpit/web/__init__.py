"""The Dash app: a page shell built from layout files, state in the URL, few generic callbacks."""
