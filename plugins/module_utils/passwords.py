# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generation of secret values, inside modules only (a value never passes through Ansible)."""

from __future__ import annotations

import secrets
import string

# Aurora PostgreSQL refuses '/', '"', '@' and spaces in the master password; these
# symbols are safe there, in URLs and in shell-quoted environment values.
SYMBOLS = "-_.~"
ALPHABET = string.ascii_letters + string.digits + SYMBOLS
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS)


def generate_value(length, choice=secrets.choice):
    """A random value of ``length`` characters of ALPHABET, with every character class present."""
    while True:
        value = "".join(choice(ALPHABET) for position in range(length))
        if all(any(c in cls for c in value) for cls in CLASSES):
            return value
