from __future__ import annotations

from ..events import ObjectRedefined
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

PLAN = ("%syntax-version=1.0.0\n%project=example\n\n"
        "helpers 2026-01-01T00:00:00Z dba <dba@example.org> # helpers\n"
        "@v1 2026-01-02T00:00:00Z dba <dba@example.org> # release 1\n"
        "audit 2026-01-03T00:00:00Z dba <dba@example.org> # audit log\n")
REWORKED_PLAN = PLAN + "helpers [helpers@v1] 2026-01-04T00:00:00Z dba <dba@example.org> # stamp in UTC\n"
V1 = "create or replace function app.vin_clean(vin text) returns text language sql immutable return upper(vin);\n"
V2 = V1.replace("upper(vin)", "upper(btrim(vin))")
AUDIT = "create table app.audit (id bigint primary key, at timestamptz not null);\n"


def on_redefined(ctx: RuleContext, e: ObjectRedefined) -> None:
    w, owner = ctx.walker, e.owner
    if owner.file == w.file:
        return
    if w.sqitch:
        if owner.change is not None and owner.change == w.change:
            return  # a rework instance of the change that owns it
        level = Level.WARNING
        creator, redefiner = f"change {owner.change} ({owner.file})", f"change {w.change} ({w.file})"
        fix = (f"sqitch rework {owner.change} -n '...'; then put the new definition of {owner.key} in "
               f"deploy/{owner.change}.sql (sqitch keeps the previous one as deploy/{owner.change}@<tag>.sql and the "
               f"rework's revert restores it), and remove it from {w.file}")
    else:
        level = Level.INFO
        creator, redefiner = owner.file, w.file
        fix = (f"keep one definition of {owner.key}: a repeatable migration (Flyway R__*.sql, re-run when it "
               f"changes), or fold it into {owner.file} when the history is squashed; until then, the down migration "
               f"of {w.file} must restore the definition of {owner.file}")
    ctx.report(owner.key, e.line,
               f"Migration {w.file}: {owner.kind} {owner.key} created by {creator} is redefined by {redefiner}",
               f"{e.how} at line {e.line}; {owner.kind} created at {owner.file}:{owner.line}. Its current text now "
               f"lives in {w.file}, not in the change that owns it; reverting {w.file} alone leaves the new "
               f"definition in place unless its revert re-creates the old one by copy", fix, level=level)


RULE = Rule(
    name="migration_patch_change",
    level=Level.WARNING,
    also_levels=(Level.INFO,),
    level_note=(
        "info in a numbered folder: redefining in a later file is the only way such a folder can change a "
        "function, so the finding points at where its definition now lives; warning in a sqitch project, where "
        "`sqitch rework` is the tool for it"
    ),
    category="operations",
    summary="a change redefines a function, procedure or view that another change created (sqitch: rework it)",
    anti_pattern=(
        "`CREATE OR REPLACE FUNCTION / PROCEDURE / VIEW` (or DROP then CREATE again, `ALTER FUNCTION ...` "
        "changing volatility, security or settings, `ALTER VIEW ... SET (...)`) of an object that an earlier "
        "change or file created. In a sqitch project a rework of the change that created the object may "
        "redefine it: that is what reworks are for."
    ),
    why=(
        "A \"patch change\": the object's definition now lives in two places, and the one in the owning change is "
        "no longer what runs. Reviewers read the old body where the object is declared; a revert of the patch "
        "must re-create the previous body by copy (and drifts when the owner changes again); two patches of the "
        "same function silently overwrite each other in plan order."
    ),
    fix=(
        "In a sqitch project, `sqitch rework <owning change>` and edit the object in that change's deploy script: "
        "sqitch keeps the previous version as `deploy/<change>@<tag>.sql`, and the rework's revert script "
        "restores it. In a numbered folder, keep functions and views in repeatable migrations, or fold the "
        "definition back into its first file when the history is squashed."
    ),
    bad=MigrationExample({"deploy/helpers.sql": V1, "deploy/audit.sql": AUDIT + V2},
                         plan=PLAN),
    good=MigrationExample({"deploy/helpers@v1.sql": V1, "deploy/audit.sql": AUDIT, "deploy/helpers.sql": V2},
                          plan=REWORKED_PLAN),
    key="migration_patch_change:deploy/audit.sql:app.vin_clean(text)",
    section="Migrations & operations",
    recommendation="Change functions and views in the change that owns them (sqitch rework), not in patch changes",
    on={ObjectRedefined: on_redefined},
)
