"""Test support code shared by the unit and integration suites (import as tests.support.*)."""
