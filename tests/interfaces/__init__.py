# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The interface specs under `interfaces/`: their schema generator and its tests."""
