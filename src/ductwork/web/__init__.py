"""The dashboard: a server-rendered page of APIs, credentials and live readings."""
