"""Helpers shared by tests of several packages (real photos from package demo folders, ...)."""
