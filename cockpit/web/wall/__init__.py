"""Display walls: the page a kiosk opens with its token, and the data its script asks for."""
