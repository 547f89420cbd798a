"""The command line: a thin layer that parses options, calls the pipeline and prints.

On top of the commands and the stages. Only this module exits, and it prints everything but the
two lines serve's server threads print themselves (site_builder.commands.serve). Exit codes: 0
clean, 1 problems in the records, 2 usage errors. Must not: judge records, compute metrics, or
make pages: the stages and the commands do.
"""

from __future__ import annotations

import functools
import os
import sys
from datetime import date
from pathlib import Path

import click
from jinja2 import TemplateError

from site_builder import __version__
from site_builder.checks.check import Checked, DateError, check, parse_date, resolve_today, source_date_epoch
from site_builder.diagnostics import escape_control, escape_lines, format_github, format_json
from site_builder.source.model import COACHED_KINDS
from site_builder.words import plural


def _today(ctx, param, value: str | None) -> date:
    try:
        return resolve_today(value)
    except DateError as exc:
        if value is None:  # from SOURCE_DATE_EPOCH: not this option's fault
            raise click.UsageError(str(exc)) from None
        raise click.BadParameter(str(exc)) from None


def _today_each_rebuild(ctx, param, value: str | None) -> date | None:
    """serve's --today: a date given holds for every rebuild; without one, the date is read again
    at each rebuild (a preview runs past midnight), so only a bad SOURCE_DATE_EPOCH is refused now,
    not in the middle of a rebuild."""
    day = _today(ctx, param, value) if value is not None else None
    try:
        source_date_epoch()
    except DateError as exc:
        raise click.UsageError(str(exc)) from None
    return day


def _today_option(help: str, callback=_today):
    return click.option("--today", callback=callback, metavar="YYYY-MM-DD", help=help)


today_option = _today_option("The build date (default: SOURCE_DATE_EPOCH, else the system date).")
# `new` writes one file: the date is today's, for its defaults and for the checks of what it writes
new_today_option = _today_option("Today's date, for the new file's defaults and checks (default: SOURCE_DATE_EPOCH, "
                                 "else the system date).")

RECORDS_REPOSITORY = ("a records repository is a folder with frameworks/ (the competency frameworks) "
                      "and records/ (teams/, people/ and sessions/)")


def _is_repository(folder: Path) -> bool:
    return (folder / "records").is_dir() or (folder / "frameworks").is_dir()


def find_repository(start: Path) -> Path | None:
    """The nearest folder at or above `start` that has records/ or frameworks/ (the way git finds
    .git), so that a command works from inside records/sessions/REP/ too; None when there is none."""
    start = Path(os.path.abspath(start))
    return next((folder for folder in (start, *start.parents) if _is_repository(folder)), None)


def _repository_root(ctx: click.Context, positional: str | None, option: str | None) -> Path:
    """The records repository a command works on: ROOT or --root (one folder, however spelled),
    else the nearest one at or above the working directory."""
    if positional is not None and option is not None and not _same_folder(positional, option):
        raise click.UsageError(f"ROOT '{positional}' and --root '{option}' are different folders: "
                               f"give one of them", ctx=ctx)
    given, hint = (option, "'--root'") if option is not None else (positional, "'ROOT'")
    if given is not None:
        root = Path(given)
        if not root.is_dir():
            raise click.BadParameter(f"'{given}' is not a folder", ctx=ctx, param_hint=hint)
        if not _is_repository(root):
            raise click.BadParameter(f"'{given}' has no records/ or frameworks/ folder: "
                                     f"it is not a coaching records repository", ctx=ctx, param_hint=hint)
        return root
    try:
        here = Path.cwd()
    except OSError:  # the working directory was removed
        raise click.UsageError(f"the working directory is gone; give the records repository with "
                               f"--root DIR ({RECORDS_REPOSITORY})", ctx=ctx) from None
    found = find_repository(here)
    if found is None:
        raise click.UsageError(f"no records repository in {here} or any folder above it; {RECORDS_REPOSITORY}. "
                               f"Run coachsite inside one, or give it with --root DIR", ctx=ctx)
    # the working directory itself stays '.': output paths read as they always have
    return Path(".") if found == here else found


def _same_folder(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one does not exist: the same only if spelled alike
        return os.path.abspath(one) == os.path.abspath(other)


def _repository_options(positional: bool):
    """--root DIR on every command that reads a records repository, and the positional [ROOT]
    where a command has always had one; the command receives `root`, a Path."""
    def decorate(command):
        @functools.wraps(command)
        def with_root(*args, root_path: str | None = None, root_dir: str | None = None, **kwargs):
            root = _repository_root(click.get_current_context(), root_path, root_dir)
            return command(*args, root=root, **kwargs)

        with_root = click.option("--root", "root_dir", metavar="DIR",
                                 help="The records repository (default: the nearest folder at or above "
                                      "the working directory with records/ or frameworks/).")(with_root)
        if positional:
            with_root = click.argument("root_path", required=False, metavar="[ROOT]")(with_root)
        return with_root
    return decorate


root_argument = _repository_options(positional=True)  # [ROOT] or --root DIR
root_option = _repository_options(positional=False)  # --root DIR


def _never_fail_to_print() -> None:
    """Write what the output streams can encode: on an ASCII or cp1252 terminal or pipe
    (PYTHONIOENCODING, a Windows console), a '–' or '→' in a message or a name in another script
    is shown as an escape such as \\u2192 instead of ending the command with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # a TextIOWrapper (click's test runner's too)
        if reconfigure is None or (getattr(stream, "errors", None) or "strict") != "strict":
            continue  # not a text stream we can change, or one that already never fails
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # a closed or detached stream: nothing will be printed to it
            pass


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coachsite")
def main() -> None:
    """Field-sales coaching records as plain text: check them, analyse them, build the site."""
    _never_fail_to_print()  # here too: main() is what embedding code and click's test runner call


_process_is_ours = False  # set by run(): this process is the coachsite command and nothing else


def run() -> None:
    """The `coachsite` program (main() is the click group, for embedding and tests)."""
    global _process_is_ours
    _process_is_ours = True
    _never_fail_to_print()  # before click parses anything: a usage error is printed too
    main()


def _finish() -> None:
    """End the command. As its own program, exit at once: freeing a large build's working set
    object by object (the result holds it), then tearing the interpreter down, would take longer
    than a one-record rebuild itself (everything is written and closed by now). Embedded, return
    as usual."""
    if _process_is_ours:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can reach the reader anyway
                pass
        os._exit(0)


def print_diagnostics(checked: Checked, output_format: str = "text", stream=None) -> None:
    stream = stream or sys.stdout
    if output_format == "json":
        print(format_json(checked.diagnostics), file=stream)
        return
    for diagnostic in checked.diagnostics:
        print(format_github(diagnostic) if output_format == "github" else str(diagnostic), file=stream)


def summary_line(checked: Checked) -> str:
    errors, warnings = len(checked.errors), len(checked.warnings)
    return (f"checked {plural(checked.files_read, 'file')}: {plural(errors, 'error')}, "
            f"{plural(warnings, 'warning')}")


@main.command("check", short_help="Validate every record; one line per problem.")
@root_argument
@click.option("--format", "output_format", type=click.Choice(["text", "github", "json"]), default="text",
              help="text: path:line:col lines; github: Actions annotations; json: a list for tools.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@today_option
def check_command(root: Path, output_format: str, strict: bool, today: date) -> None:
    """Validate every record under ROOT (default: the repository around here) and report every problem at once."""
    checked = check(root, today)
    print_diagnostics(checked, output_format)
    if output_format == "text":
        click.echo(summary_line(checked), err=True)
    failed = bool(checked.errors) or (strict and bool(checked.warnings))
    sys.exit(1 if failed else 0)


def scope_options(function):
    function = click.option("--rep", metavar="ID", help="Only this rep's records.")(function)
    function = click.option("--team", metavar="ID", help="Only this team's records.")(function)
    return function


def _scope_or_exit(root: Path, rep: str | None, team: str | None):
    """The scope of --rep or --team, refused (a usage error, the closest id suggested) when it
    names no person or team file, before the records are checked: their errors are no excuse."""
    from site_builder.source.load import discover
    from site_builder.analysis.scope import Scope, ScopeError, require_known

    if rep is not None and team is not None:
        raise click.UsageError("give --rep or --team, not both")
    scope = Scope(rep=rep, team=team)
    try:
        require_known(scope, discover(root)[0] if not scope.everything else ())
    except ScopeError as exc:  # the id as typed and file names: either may hold a control character
        raise click.UsageError(escape_control(str(exc))) from None
    return scope


def _prepare_or_exit(checked: Checked, scope, drafts: bool):
    from site_builder.analysis.pipeline import prepare
    from site_builder.analysis.scope import ScopeError

    try:
        return prepare(checked, scope, drafts=drafts)
    except ScopeError as exc:  # a person or team file there, but with errors: not in what was read
        raise click.UsageError(str(exc)) from None


@main.command("report", short_help="Levels, trends, gaps and readiness, as text, JSON or CSV.")
@root_argument
@scope_options
@click.option("--json", "as_json", is_flag=True, help="The whole analysis as one JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="One row per rating, score and competitor benchmark.")
@click.option("--drafts", is_flag=True, help="Include draft records (they still count for nothing).")
@today_option
def report_command(root: Path, rep: str | None, team: str | None, as_json: bool, as_csv: bool,
                   drafts: bool, today: date) -> None:
    """Competency levels, trends, gaps and readiness, in the terminal or as JSON/CSV."""
    from site_builder.site.export import ratings_csv, summary_json
    from site_builder.commands.report import text_report

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    scope = _scope_or_exit(root, rep, team)
    checked = check(root, today)
    prepared = _prepare_or_exit(checked, scope, drafts)
    if prepared.left_out:
        click.echo(f"coachsite: {plural(len(prepared.left_out), 'record')} with errors left out of the analysis "
                   f"(run `coachsite check` to see why): {escape_control(', '.join(prepared.left_out))}",
                   err=True)
    if as_json or as_csv:  # UTF-8 whatever the terminal's encoding: the very bytes the site publishes
        sys.stdout.flush()
        sys.stdout.buffer.write(summary_json(prepared.analysis) if as_json
                                else ratings_csv(prepared.repository, prepared.repository.records))
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(text_report(prepared.analysis, checked.config.recent_days) + "\n")


def site_options(command):
    """What a site holds and how it looks, declared once for build and serve."""
    for option in reversed((
            click.option("--drafts", is_flag=True, help="Include draft records (marked as drafts)."),
            click.option("--leavers", is_flag=True,
                         help="Include the pages of people who have left (marked 'left on D'; never in any "
                              "team or organisation figure)."),
            click.option("--templates", type=click.Path(path_type=Path, file_okay=False, exists=True),
                         default=None, help="A folder of templates overriding any of the default ones."))):
        command = option(command)
    return command


@main.command("build", short_help="Build the static site (not while the records have errors).")
@root_argument
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Where to write the site (default: ROOT/_site).")
@scope_options
@site_options
@click.option("--timings", is_flag=True, help="Also print the seconds each stage of the build took.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Keep the build cache in this folder (default: a folder of this repository's in your "
                   "user cache folder, never in the repository).")
@click.option("--no-cache", is_flag=True, help="Build every page from scratch, reading and writing no cache.")
@today_option
def build_command(root: Path, output: Path | None, rep: str | None, team: str | None, drafts: bool,
                  leavers: bool, templates: Path | None, timings: bool, cache_dir: Path | None, no_cache: bool,
                  today: date) -> None:
    """Build the static site (refuses to when the records have errors)."""
    from site_builder.commands.build import BuildOptions, build
    from site_builder.analysis.scope import ScopeError
    from site_builder.site.write import OutputError

    if cache_dir and no_cache:
        raise click.UsageError("give --cache-dir or --no-cache, not both")
    options = BuildOptions(root=root, output=output or root / "_site", today=today,
                           scope=_scope_or_exit(root, rep, team), drafts=drafts, leavers=leavers,
                           templates=templates, cache_dir=cache_dir, incremental=not no_cache)

    def progress(pages):
        # a bar only on a terminal; in CI logs it would be noise
        with click.progressbar(pages, label="rendering", file=sys.stderr) as bar:
            yield from bar

    try:
        result = build(options, progress=progress if sys.stderr.isatty() else None,
                       on_wait=lambda message: click.echo(f"coachsite: {message}", err=True))
    except ScopeError as exc:
        raise click.UsageError(str(exc)) from None
    except OutputError as exc:
        click.echo(f"coachsite: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # a full disk, a folder that cannot be written
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        click.echo(f"coachsite: not built: {exc.strerror or exc}{where}; {_previous_site(options.output)}", err=True)
        sys.exit(1)
    except TemplateError as exc:
        from site_builder.site.render import template_problem

        click.echo(escape_control(template_problem(exc)), err=True)
        click.echo(f"coachsite: not built: a template cannot be rendered ({_previous_site(options.output)})", err=True)
        sys.exit(1)
    shown = result.notes if len(result.notes) <= NOTES_SHOWN else result.notes[:NOTES_SHOWN - 1]
    for note in shown:
        click.echo(f"coachsite: note: {note}", err=True)
    if len(shown) < len(result.notes):  # a damaged disk or an old cache folder: not a screenful
        click.echo(f"coachsite: note: … and {len(result.notes) - len(shown)} more like these", err=True)
    if not result.ok:
        print_diagnostics(result.checked)
        click.echo(f"coachsite: not built: {plural(len(result.checked.errors), 'error')} in the records; "
                   f"fix them and build again ({_previous_site(options.output)})", err=True)
        sys.exit(1)
    if timings:
        click.echo("stages: " + ", ".join(f"{stage} {seconds:.3f} s" for stage, seconds in result.timings.items()),
                   err=True)
    if result.unchanged:
        click.echo(f"nothing changed since the last build ({plural(result.pages, 'page')}) "
                   f"in {result.seconds:.2f} s → {options.output}", err=True)
        _finish()
        return
    stats = result.written
    click.echo(f"built {plural(result.pages, 'page')} ({result.pages_rendered} rendered, "
               f"{plural(stats.written, 'file')} written, "
               f"{stats.unchanged} unchanged), charts: {result.charts_drawn} drawn, {result.charts_reused} reused, "
               f"in {result.seconds:.2f} s → {options.output}", err=True)
    _finish()


NOTES_SHOWN = 4


def _previous_site(output: Path) -> str:
    """What a build that stopped left in its output folder, truly: the output folder's lock made
    it the only build, and a site is swapped in whole, never half."""
    from site_builder.site.write import MARKER

    if (output / MARKER).is_file():
        return "the previous site is untouched"
    return f"no site was written to {output}"


@main.command("demo", short_help="Generate a synthetic organisation to try coachsite on.")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--reps", type=click.IntRange(1, 100000), default=50, show_default=True, help="Number of reps to generate.")
@click.option("--seed", type=int, default=0, show_default=True)
@_today_option("The day the generated records run up to (default: SOURCE_DATE_EPOCH, else the system date).")
def demo_command(directory: Path, reps: int, seed: int, today: date) -> None:
    """Generate a synthetic organisation in DIRECTORY (for trying coachsite out and for benchmarks)."""
    from site_builder.commands.demo import generate
    try:
        counts = generate(directory, reps, seed=seed, today=today)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"wrote {plural(counts['files'], 'file')} ({plural(counts['sessions'], 'session record')}, "
               f"{plural(counts['reps'], 'rep')}, {plural(counts['teams'], 'team')}) to {directory}", err=True)


# Commands of the authoring loop. Each block below is owned by one module; keep them apart.
# --- new and schema commands ---
def _optional_date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)  # the same syntax as --today
    except DateError as exc:
        raise click.BadParameter(str(exc)) from None


def _refused(exc: Exception) -> None:
    """A refused `new`: the reason on stderr, exit 1, nothing written."""
    click.echo(f"coachsite: {exc}", err=True)
    sys.exit(1)


@main.group("new", short_help="Write a new record from a template: a draft session, a rep or a team.")
def new_group() -> None:
    """Write a new record from a template: a draft session, a person or a team.

    Prints the path written. Never overwrites a file; every file it writes passes `coachsite check`.
    """


@new_group.command("session", short_help="A draft session record for a rep, with a pre-call plan and STAR headings.")
@click.argument("rep")
@click.option("--kind", required=True, metavar="KIND",
              help="coaching, observed-call, manager-assessment, self-assessment, review-360, "
                   "customer-survey or knowledge-test.")
@click.option("--date", "session_date", callback=_optional_date, metavar="YYYY-MM-DD",
              help="The session date (default: today).")
@click.option("--focus", metavar="C1,C2",
              help="Focus competency ids, comma-separated (default: the focus of the last session).")
@root_option
@new_today_option
def new_session_command(rep: str, kind: str, session_date: date | None, focus: str | None, root: Path,
                        today: date) -> None:
    """A draft session record for REP, written to records/sessions/REP/DATE-KIND.md."""
    from site_builder.commands.new import NewError, new_session

    competencies = None if focus is None else [c.strip() for c in focus.split(",") if c.strip()]
    try:
        path = new_session(root, rep, kind, today, date=session_date, focus=competencies)
    except (NewError, OSError) as exc:
        _refused(exc)
    click.echo(str(path))
    if kind in COACHED_KINDS:
        # on standard error: standard output stays the one path, for scripts
        brief = (root / "_site" / "reps" / rep / "brief.html").resolve()
        click.echo(f"the ride-along brief: {brief} (made by `coachsite build`; print it for the session)", err=True)


@new_group.command("rep", short_help="A person with a development-plan skeleton.")
@click.argument("rep_id", metavar="ID")
@click.option("--team", required=True, metavar="TEAM", help="The team id.")
@click.option("--role", required=True, metavar="ROLE", help="A role id of the team's framework.")
@click.option("--name", required=True, help="The person's name, accents and all.")
@click.option("--joined", callback=_optional_date, metavar="YYYY-MM-DD", help="Default: today.")
@root_option
@new_today_option
def new_rep_command(rep_id: str, team: str, role: str, name: str, joined: date | None, root: Path,
                    today: date) -> None:
    """A person with a development-plan skeleton, written to records/people/ID.md."""
    from site_builder.commands.new import NewError, new_rep

    try:
        path = new_rep(root, rep_id, team, role, name, today, joined=joined)
    except (NewError, OSError) as exc:
        _refused(exc)
    click.echo(str(path))


@new_group.command("team")
@click.argument("team_id", metavar="ID")
@click.option("--name", required=True, help="The team's name.")
@click.option("--manager", required=True, metavar="PERSON", help="The manager's person id.")
@click.option("--framework", required=True, metavar="FRAMEWORK", help="The framework id.")
@root_option
@new_today_option
def new_team_command(team_id: str, name: str, manager: str, framework: str, root: Path, today: date) -> None:
    """A team with a goals skeleton, written to records/teams/ID.md."""
    from site_builder.commands.new import NewError, new_team

    try:
        path = new_team(root, team_id, name, manager, framework, today=today)
    except (NewError, OSError) as exc:
        _refused(exc)
    click.echo(str(path))


@main.command("schema", short_help="A JSON Schema of the front matter, for editors.")
@root_argument
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the schema to this file instead of printing it.")
@click.option("--record", type=click.Choice(["session", "person", "team"]), default="session",
              show_default=True, help="Which front matter is the root (the others are under $defs).")
@click.option("--framework", metavar="ID", help="Only this framework's competencies (default: all).")
@today_option
def schema_command(root: Path, output: Path | None, record: str, framework: str | None, today: date) -> None:
    """A JSON Schema of the front matter, for editors: competencies, kinds, statuses and scale."""
    from site_builder.commands.schema import SchemaError, schema_json

    checked = check(root, today)  # today: which dates are in the future, so which errors are counted
    try:
        text = schema_json(checked.repository, checked.config, framework=framework, record=record)
    except SchemaError as exc:
        raise click.UsageError(str(exc)) from None
    if checked.errors:
        click.echo(f"coachsite: {plural(len(checked.errors), 'error')} in the records; the schema uses what could "
                   f"be read (run `coachsite check`)", err=True)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        click.echo(f"coachsite: cannot write {output}: {exc.strerror}", err=True)
        sys.exit(2)
    click.echo(f"wrote {output}", err=True)
# --- approve command ---
@main.command("approve", short_help="Approve a record as its coachee, or dispute it.")
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dispute", metavar="COMMENT", default=None,
              help="Dispute the record instead of approving it, with your comment.")
@_today_option("The day of approval (default: SOURCE_DATE_EPOCH, else the system date).")
def approve_command(record: Path, dispute: str | None, today: date) -> None:
    """Approve RECORD as its coachee (or dispute it): sets status, approved_on and a digest of the content."""
    from site_builder.commands.approval import ApprovalError, approve

    try:
        result = approve(record, today, dispute)
    except ApprovalError as exc:
        click.echo(escape_control(f"{record}: error: {exc}"), err=True)
        sys.exit(1)
    if not result.changed:
        click.echo(f"{record}: already approved on {result.approved_on} and unchanged since; nothing to do")
    else:
        click.echo(f"{record}: {result.status}: {'; '.join(result.changes)}")


# --- diff command ---
@main.command("diff", short_help="What a change does to the records and their analysis.")
@click.argument("base", required=False)
@click.argument("head", required=False)
@root_option
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              help="text: for the terminal; markdown: a pull-request comment; json: for tools.")
@today_option
def diff_command(base: str | None, head: str | None, root: Path, output_format: str, today: date) -> None:
    """What the change from BASE to HEAD (git revisions; HEAD by default) does to the records.

    With no revision at all, what the edits not yet committed do: HEAD against the working tree
    (staged and unstaged edits, and untracked files git does not ignore). Records added, changed
    and removed per rep, the ratings that changed, what that does to each rep's current level, trend
    and gap, and the problems it introduces or fixes. Reads the revisions with git; never changes
    the working tree. Exit 1 when the change introduces errors.
    """
    from site_builder.commands.diff import FORMATS, DiffError, diff

    try:
        # no BASE: HEAD against the working tree (None); BASE alone: BASE against HEAD
        if base is None:
            report = diff(root, "HEAD", None, today)
        else:
            report = diff(root, base, "HEAD" if head is None else head, today)
    except DiffError as exc:
        click.echo(f"coachsite: {exc}", err=True)
        sys.exit(2)
    text = FORMATS[output_format](report)  # JSON escapes control characters itself
    click.echo(text if output_format == "json" else escape_lines(text), nl=False)
    sys.exit(1 if report.introduced_errors else 0)

# --- serve command ---
@main.command("serve", short_help="Preview the site live, rebuilding on every save.")
@root_argument
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@scope_options
@site_options
@_today_option("The build date (default: SOURCE_DATE_EPOCH, else the system date, read at each rebuild).",
               callback=_today_each_rebuild)
def serve_command(root: Path, port: int, rep: str | None, team: str | None, drafts: bool, leavers: bool,
                  templates: Path | None, today: date | None) -> None:
    """Preview the site at http://127.0.0.1:PORT/, rebuilding and reloading on every save."""
    from site_builder.commands.build import BuildOptions
    from site_builder.analysis.scope import ScopeError
    from site_builder.commands.serve import serve

    options = BuildOptions(root=root, output=root / "_site", today=today, scope=_scope_or_exit(root, rep, team),
                           drafts=drafts, leavers=leavers, templates=templates)

    def ready(server, site) -> None:
        host, bound = server.server_address[:2]
        click.echo(f"serving http://{host}:{bound}/ — watching {root}; Ctrl-C to stop", err=True)

    def on_rebuild(result) -> None:
        if result.errors:
            click.echo(f"{plural(len(result.errors), 'error')}; the browser shows them over the last good site:",
                       err=True)
            for diagnostic in result.errors[:20]:
                click.echo(f"  {diagnostic}", err=True)
        else:
            click.echo(f"rebuilt in {result.seconds * 1000:.0f} ms ({plural(result.changed_files, 'file')} changed)",
                       err=True)

    try:
        serve(options, port=port, ready=ready, on_rebuild=on_rebuild)
    except ScopeError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        click.echo(f"coachsite: cannot serve on 127.0.0.1:{port}: {exc.strerror}; try another --port "
                   f"(0 picks a free one)", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
