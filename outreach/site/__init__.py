"""The site frame: home page, language switch, health check and the staff home."""
