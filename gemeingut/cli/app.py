"""The root `gemeingut` command and its groups; commands register on them in their modules."""

from __future__ import annotations

import typer

from gemeingut.library_bars import off_by_default

# Our own progress bars show the work, in German; the libraries' tqdm bars (lm-eval, datasets,
# transformers, the Hub) only add English noise.
off_by_default()

app = typer.Typer(
    help="Gemeingut KI: build, publish and run fully open language models on your own machines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Curate openly licensed corpora.", no_args_is_help=True)
tokenizer_app = typer.Typer(help="Train tokenizers.", no_args_is_help=True)
model_app = typer.Typer(help="Train and adapt models.", no_args_is_help=True)
audit_app = typer.Typer(
    help="Audit a model folder or endpoint: tasks, bias, memorisation, red team.",
    no_args_is_help=True,
)
findings_app = typer.Typer(help="Community findings: import, triage, merge.", no_args_is_help=True)
keys_app = typer.Typer(help="Keys that sign release bundles.", no_args_is_help=True)
openness_app = typer.Typer(
    help="Openness ratings (MOF class, OSAID gate, licences) computed from a model's files.",
    no_args_is_help=True,
)
admin_app = typer.Typer(
    help="The server's users, groups, API keys, quotas and audit log (--db or GEMEINGUT_DB).",
    no_args_is_help=True,
)
admin_users_app = typer.Typer(help="People who may use the server.", no_args_is_help=True)
admin_groups_app = typer.Typer(help="Groups of users (quotas, collections).", no_args_is_help=True)
admin_keys_app = typer.Typer(help="API keys: shown once, stored hashed.", no_args_is_help=True)
admin_quotas_app = typer.Typer(help="Limits in requests and tokens.", no_args_is_help=True)
admin_audit_app = typer.Typer(
    help="The audit log: export, retention and the Art. 30 record.", no_args_is_help=True
)
admin_content_app = typer.Typer(
    help="Logged content (only with serve --content-log-days): a person's export and erasure.",
    no_args_is_help=True,
)
rag_app = typer.Typer(
    help="Document collections: ingest, query with checked citations, evaluate retrieval.",
    no_args_is_help=True,
)
assist_app = typer.Typer(
    help="Assistants for administrative work: check a tender draft, draft a memo or a speech.",
    no_args_is_help=True,
)


@app.callback()
def _language(
    ctx: typer.Context,
    lang: str | None = typer.Option(
        None,
        "--lang",
        envvar="GEMEINGUT_LANG",
        help="de or en: the language of messages (default: German unless the locale is English).",
    ),
) -> None:
    if lang is not None:
        from gemeingut.i18n import LANGUAGES, _, text, use_language

        if lang not in LANGUAGES:
            raise typer.BadParameter(
                text(_("{lang!r} is not a language of gemeingut; use de or en", lang=lang))
            )
        ctx.with_resource(use_language(lang))  # for this command, undone when it ends


app.add_typer(data_app, name="data")
app.add_typer(tokenizer_app, name="tokenizer")
app.add_typer(model_app, name="model")
app.add_typer(audit_app, name="audit")
audit_app.add_typer(findings_app, name="findings")
app.add_typer(keys_app, name="keys")
app.add_typer(openness_app, name="openness")
app.add_typer(admin_app, name="admin")
app.add_typer(rag_app, name="rag")
app.add_typer(assist_app, name="assist")
admin_app.add_typer(admin_users_app, name="users")
admin_app.add_typer(admin_groups_app, name="groups")
admin_app.add_typer(admin_keys_app, name="keys")
admin_app.add_typer(admin_quotas_app, name="quotas")
admin_app.add_typer(admin_audit_app, name="audit")
admin_app.add_typer(admin_content_app, name="content")
