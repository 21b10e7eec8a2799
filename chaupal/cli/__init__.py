"""The `chaupal` command line: serve, migrate, admin and demo. Each command commits at its edge."""

from __future__ import annotations

import typer

from chaupal.cli import admin, backup, demo, federation, gov, importers, insights, media, serve, worker

app = typer.Typer(
    name="chaupal",
    help="Chaupal: open microblogging for governments and citizens (Mastodon client API).",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("migrate")(serve.migrate)
app.command("demo")(demo.demo)
app.command("demo-code")(demo.demo_code)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.add_typer(admin.app, name="admin")
app.add_typer(media.app, name="media")
app.add_typer(insights.app, name="insights")
app.add_typer(gov.app, name="gov")
app.add_typer(importers.app, name="import")  # `import` is a keyword: the module is importers
app.command("worker")(worker.worker)
app.add_typer(worker.jobs_app, name="jobs")
app.add_typer(federation.app, name="federation")


def main() -> None:
    app()


__all__ = ["app", "main"]
