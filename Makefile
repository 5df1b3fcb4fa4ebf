# Two commands: `make demo` (build the bundled demo end to end, then serve it) and `make test`.
# Both set up .venv first; torch is pinned to the CPU wheel so pip never pulls CUDA packages.

PYTHON    ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
RECIPE    ?= examples/demo/recipe.toml
WORKSPACE ?= workspace
SERVE     ?= 1
# The demo's server, as `make demo` starts it (and prints it with SERVE=0); the release folder
# is read from build.json when the recipe runs.
# build.json is written under a new name and renamed once the build succeeded: a failed build
# leaves the last good one (a plain `>` would have emptied it) and nothing half-written.
DEMO_BUILT = $(WORKSPACE)/build.json
DEMO_RELEASE = $$($(BIN)/python -c "import json; print(json.load(open('$(DEMO_BUILT)'))['release']['path'])")
SERVE_ARGS = serve $(DEMO_RELEASE) --host $(HOST) --port $(PORT) --db $(WORKSPACE)/gateway.db --policy default \
  --collections $(WORKSPACE)/collections --upload-max-mb 20 --findings $(WORKSPACE)/findings.jsonl \
  --trace-data $(DEMO_RELEASE)/bundle/training-data
HOST      ?= 127.0.0.1
PORT      ?= 8000
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo demo-key demo-serve test lint clean messages browser ocr

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

demo: install
	mkdir -p $(WORKSPACE)
	test -f $(WORKSPACE)/keys/demo.key || $(BIN)/gemeingut keys create demo --dir $(WORKSPACE)/keys
	$(BIN)/gemeingut build $(RECIPE) --workspace $(WORKSPACE) --sign-key $(WORKSPACE)/keys/demo.key \
	  --json > $(DEMO_BUILT).new && mv $(DEMO_BUILT).new $(DEMO_BUILT) || { rm -f $(DEMO_BUILT).new; exit 1; }
	@$(BIN)/python -c "import json; s = json.load(open('$(DEMO_BUILT)')); \
	print('\nGebaut und signiert. Release-Paket:', s['release']['path'] + '/bundle'); \
	print('Prüfen:  $(BIN)/gemeingut verify', s['release']['path'] + '/bundle --key $(WORKSPACE)/keys/demo.pub')"
	$(BIN)/gemeingut rag ingest demo examples/demo/sammlung --root $(WORKSPACE)/collections --group demo
	@$(demo_key)
ifeq ($(SERVE),1)
	$(demo_serve)
else
	@echo ""
	@echo "Server starten (Strg-C beendet):"
	@echo "  $(BIN)/gemeingut $(SERVE_ARGS)"
endif

# The demo's database and the admin's key (`make demo-key`): a key is shown once, when it is
# made; a later run, which makes none, says so and how to make a new one where the database
# holds admin's key, and what to do where a run broke off before making it.
DEMO_DB = $(WORKSPACE)/gateway.db
define demo_key
if test -f $(DEMO_DB) && $(BIN)/gemeingut admin keys list --user admin --db $(DEMO_DB) --json 2>/dev/null | grep -q '"id"'; then \
  echo ""; \
  echo "Ihr Schlüssel für admin wurde beim ersten Start gezeigt, nur dort (gespeichert ist nur sein Hash)."; \
  echo "Einen neuen erzeugen:  $(BIN)/gemeingut admin keys create --user admin --db $(DEMO_DB)"; \
elif test -f $(DEMO_DB); then \
  echo "Fehler: $(DEMO_DB) hat keinen Schlüssel für admin (ein früherer Lauf brach ab, bevor er erzeugt war)" >&2; \
  echo "Hinweis: löschen Sie die Demo-Datenbank (rm $(DEMO_DB)*) und rufen Sie make demo erneut auf" >&2; \
  exit 1; \
else \
  $(BIN)/gemeingut admin groups add demo --db $(DEMO_DB) >/dev/null && \
  $(BIN)/gemeingut admin groups add triage --db $(DEMO_DB) >/dev/null && \
  $(BIN)/gemeingut admin users add admin --group demo --group triage --db $(DEMO_DB) >/dev/null && echo "" && \
  key=$$($(BIN)/gemeingut admin keys create --user admin --name demo --db $(DEMO_DB)) || exit 1; \
  echo "$$key"; \
  echo "Das ist Ihr Schlüssel für admin: er wird nur dieses eine Mal gezeigt."; \
fi
endef

# Serving the demo (`make demo`, or `make demo-serve` once it is built): the hints first, then
# the server, which says „Bereit auf …“ once it answers. It runs in place of the shell (exec), so
# that Ctrl-C or SIGTERM reaches it alone and its clean end (exit 0) is make's: no „Error 143“.
define demo_serve
@echo ""
@echo "Sobald „Bereit auf …“ erscheint: öffnen Sie http://$(HOST):$(PORT)/ im Browser und melden Sie"
@echo "sich mit Ihrem Schlüssel für admin an (siehe oben); oder aus einem anderen Terminal:"
@echo "  curl -s http://$(HOST):$(PORT)/v1/chat/completions -H 'Content-Type: application/json' \\"
@echo "    -H \"Authorization: Bearer \$$GEMEINGUT_API_KEY\" \\"
@echo "    -d '{\"model\": \"gemeingut-demo-1m\", \"messages\": [{\"role\": \"user\", \"content\": \"Was sind offene Daten?\"}], \"max_tokens\": 40}'"
@echo "  curl -s http://$(HOST):$(PORT)/v1/collections/demo/search -H 'Content-Type: application/json' \\"
@echo "    -H \"Authorization: Bearer \$$GEMEINGUT_API_KEY\" -d '{\"query\": \"Wie lang ist die Angebotsfrist?\"}'"
@echo "  (GEMEINGUT_API_KEY: Ihr Schlüssel für admin, export GEMEINGUT_API_KEY=gg_…; gemeingut rag und assist lesen ihn dort, sonst aus OPENAI_API_KEY; weitere: $(BIN)/gemeingut admin keys create --user admin --db $(DEMO_DB))"
exec $(BIN)/gemeingut $(SERVE_ARGS)
endef

demo-key:
	@mkdir -p $(WORKSPACE)
	@$(demo_key)

# The release is read from build.json inside the server's command line, where a missing one
# would not stop it: said here, before anything runs.
demo-serve:
	@test -s $(DEMO_BUILT) || { \
	  echo "Fehler: $(DEMO_BUILT) fehlt: die Demo ist noch nicht gebaut (oder ihr Bau schlug fehl)" >&2; \
	  echo "Hinweis: make demo baut sie und startet dann den Server" >&2; exit 2; }
	$(demo_serve)

test: install browser ocr
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile  # one file per process: its module fixtures built once

# The web page's tests need a real browser and axe-core: Debian's chromium (Playwright's own
# browser download cannot work offline) and axe-core from npm, in .cache/axe.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get install -y --no-install-recommends chromium >/dev/null || \
	  { $(SUDO) apt-get update >/dev/null && $(SUDO) apt-get install -y --no-install-recommends chromium >/dev/null; }; }
	@test -f .cache/axe/node_modules/axe-core/axe.min.js || \
	  npm install --prefix .cache/axe axe-core@4.14.1 --no-audit --no-fund --silent

# Scanned PDF pages are read with Tesseract: Debian's tesseract-ocr with its German data.
ocr:
	@command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx deu || { \
	  echo "installing Debian's tesseract-ocr (German) for scanned PDFs"; \
	  $(SUDO) apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu >/dev/null || \
	  { $(SUDO) apt-get update >/dev/null && \
	    $(SUDO) apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu >/dev/null; }; }

messages: install  # new messages of the code into the German catalogue (then translate them); messages the code no longer says are dropped
	$(BIN)/pybabel extract -F gemeingut/i18n/babel.cfg -k _ --no-default-keywords --no-location -o gemeingut/i18n/messages.pot gemeingut
	$(BIN)/python -m gemeingut.cli.help_language gemeingut/i18n/messages.pot
	$(BIN)/python -m gemeingut.serve.openapi_language gemeingut/i18n/messages.pot  # the API description's texts
	$(BIN)/pybabel update -i gemeingut/i18n/messages.pot -o gemeingut/i18n/de.po -l de --width 100 --ignore-pot-creation-date --ignore-obsolete
	rm gemeingut/i18n/messages.pot

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check gemeingut tests

clean:
	rm -rf $(WORKSPACE) .pytest_cache .ruff_cache
