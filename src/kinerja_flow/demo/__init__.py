"""Demo mode: a sample agency, and a mail catcher so its emails can be read."""
