"""Flair (api.flair.co): OAuth2, JSON:API and a home whose vents balance its rooms."""
