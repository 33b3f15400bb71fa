# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The libraries as Python distributions, built from the very files under `lib/charms/`.

`project.py` says what each distribution is; `build.py` builds and checks it;
`python -m packages` (`make dist`) builds them all into `dist/`.
"""
