"""The Automate Green API's route tables."""
