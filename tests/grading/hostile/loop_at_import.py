"""Hostile: importing the module never ends."""

while True:
    pass
