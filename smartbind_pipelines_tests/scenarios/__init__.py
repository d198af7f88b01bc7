"""Scenario suite: a business day against the emulators, with faults, outages and bad input (issue 7)."""
