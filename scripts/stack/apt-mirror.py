#!/usr/bin/env python3
"""Print the Debian mirror this machine's apt already uses for a suite (default: bookworm).

Reads apt's own sources (deb822 *.sources and one-line *.list), so no mirror host is written into the
project. Exits 1 when apt has no Debian source for the suite.
"""

import glob
import sys

suite = sys.argv[1] if len(sys.argv) > 1 else "bookworm"


def candidates():
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in open(path, encoding="utf-8", errors="replace").read().split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                if ":" in line and not line.startswith((" ", "#")):
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
            if "deb" in fields.get("types", "").split() and suite in fields.get("suites", "").split():
                yield from fields.get("uris", "").split()
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        try:
            lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
        except OSError:
            continue
        for line in lines:
            words = line.split("#", 1)[0].split()
            if words[:1] != ["deb"]:
                continue
            words = words[1:]
            if words and words[0].startswith("["):  # [arch=... signed-by=...]
                while words and not words[0].endswith("]"):
                    words.pop(0)
                words = words[1:]
            if len(words) >= 2 and words[1] == suite:
                yield words[0]


for uri in candidates():
    # The main archive, not debian-security or a third-party repository.
    if uri.rstrip("/").endswith("/debian"):
        print(uri.rstrip("/"))
        sys.exit(0)
sys.exit(1)
