"""Hostile input: trees, --crd files and names an attacker controls (issue 9)."""
