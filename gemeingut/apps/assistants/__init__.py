"""Assistants for administrative work; `tender` checks a tender draft against rules as data."""
