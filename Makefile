# Every target works on a machine that has only python3 and pip: the first one run installs
# uv into .tools/ and builds .venv/ from uv.lock.

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --locked
# The oldest releases the libraries claim to support (pyproject.toml) are tested in an
# environment of their own, without charmcraft, whose stack needs a newer pydantic.
OLDEST := UV_PROJECT_ENVIRONMENT=.venv-oldest $(RUN) --no-group charmcraft --no-group lint --no-group dist --no-group docs \
	--with-requirements tests/oldest-requirements.txt

.PHONY: test lint unit oldest demo docs bench fuzz dist release-files schemas lib-record clean

test: lint unit oldest dist docs

lint: .venv/.synced
	$(RUN) ruff check
	$(RUN) ruff format --check
	$(RUN) codespell
	$(RUN) pyright
	$(RUN) check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(RUN) zizmor --offline --persona=pedantic --quiet .github/workflows

# Both targets spread the tests over every core (pytest-xdist); an idle worker takes tests
# from a busy one, so the few long fuzz properties do not leave a core waiting.
PARALLEL := -n auto --dist worksteal

unit: .venv/.synced
	$(RUN) pytest $(PARALLEL) --cov --cov-report=term-missing

# ops-scenario 7.23 leaves a failed hook's temporary charm directory to the garbage collector,
# which cleans it up and says so in a ResourceWarning; later releases remove it themselves.
oldest: .venv/.synced
	$(OLDEST) pytest tests/unit tests/docs tests/demo -p no:cacheprovider -q $(PARALLEL) \
		-W "ignore:Implicitly cleaning up:ResourceWarning"

demo: .venv/.synced
	$(RUN) python -m demo

# The documentation site, into docs/_build/html/ (open index.html). Any warning fails it:
# a broken link or cross-reference, or a docstring Sphinx cannot read.
docs: .venv/.synced
	$(RUN) sphinx-build --fail-on-warning --keep-going --nitpicky --quiet -b html docs docs/_build/html

# What each library costs in a hook, against a bare-ops floor; writes .bench/latest.json.
bench: .venv/.synced
	$(RUN) python -m bench

# Hostile remote data and invalid charm input, thousands of examples per property.
fuzz: .venv/.synced
	$(RUN) python -m tests.fuzz

# Each library's wheel and sdist, built from its file under lib/, into dist/; twine-checked.
dist: .venv/.synced
	$(RUN) python -m packages

# The release workflow's step: the tagged library's files from dist/ into release/, or a
# refusal when TAG (`etcd-v0.7`) does not name a library at its current version.
release-files: .venv/.synced
	$(RUN) python -m packages.release "$(TAG)"

# Rewrite the interface specs' JSON Schemas from the libraries' databag models.
schemas: .venv/.synced
	$(RUN) python -m tests.interfaces.schemas

# After raising a library's LIBPATCH by one, record its new content hash.
lib-record: .venv/.synced
	$(RUN) python -m tests.metadata.librecord

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked
	touch $@

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

clean:
	rm -rf .venv .venv-oldest $(TOOLS) .coverage .pytest_cache .ruff_cache .bench .hypothesis dist release \
		docs/_build docs/libraries docs/api docs/interfaces docs/demo.md
