



HTMX = {"HX-Request": "true"}
