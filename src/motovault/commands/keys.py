"""`motovault keys` and `motovault oidc`: the keys PostgREST verifies tokens with.

    motovault keys list                 the signing keys: which signs, which are retired
    motovault keys export [--output F]  write the JWKS file PostgREST reads (default: the local stack's)
    motovault keys rotate               a new key: published to PostgREST first, then it signs
    motovault keys retire               older keys stop verifying once their tokens have expired
    motovault oidc add --issuer URL --audience AUD --jwks FILE [--tenant-claim NAME]

Against the local stack (the default) the commands rewrite .state/jwks.json and make the running
PostgREST reload it. Elsewhere, pass --dsn (the owner role), --output (the file PostgREST reads) and
--postgrest-pid/--api-url, or reload PostgREST yourself (`kill -USR2`, docker compose kill -s SIGUSR2).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.db import connect
from ..core.errors import MotovaultError
from ..core.keys import PostgrestTarget, add_oidc_issuer, jwks_document, list_keys, retire, rotate


def _common(p: argparse.ArgumentParser, publishes: bool) -> None:
    p.add_argument("--dsn", default=None, help="database URL as the owner role (default: the local stack's)")
    if publishes:
        p.add_argument(
            "--output", type=Path, default=None, help="the JWKS file PostgREST reads (default: the local stack's)"
        )
        p.add_argument(
            "--postgrest-pid", type=int, default=None, help="PostgREST to signal (default: the local stack's)"
        )
        p.add_argument("--api-url", default=None, help="where that PostgREST answers (default: the local stack's)")
        p.add_argument(
            "--no-server-secret", action="store_true",
            help="leave the server secret (kid local, `motovault token`) out of the file",
        )
        p.add_argument(
            "--server-secret-env", metavar="VAR", default=None,
            help="with --dsn: put the server secret held by environment variable VAR in the file (kid local)",
        )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keys = sub.add_parser("keys", help="list, export, rotate and retire the token signing keys")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    ksub.required = True
    p = ksub.add_parser("list", help="the signing keys and their state")
    _common(p, publishes=False)
    p.set_defaults(func=run_list)
    p = ksub.add_parser("export", help="write the JWKS file PostgREST verifies tokens with")
    _common(p, publishes=True)
    p.set_defaults(func=run_export)
    p = ksub.add_parser("rotate", help="add a key, publish it to PostgREST, then sign with it")
    _common(p, publishes=True)
    p.add_argument(
        "--grace", default="10 minutes",
        help="if PostgREST cannot be reloaded now, the key starts signing after this long anyway (default 10 minutes)",
    )
    p.set_defaults(func=run_rotate)
    p = ksub.add_parser("retire", help="retire the keys that signed before the current one")
    _common(p, publishes=True)
    p.set_defaults(func=run_retire)

    oidc = sub.add_parser("oidc", help="accept tokens of an outside OpenID Connect provider")
    osub = oidc.add_subparsers(dest="oidc_command", metavar="ACTION")
    osub.required = True
    p = osub.add_parser("add", help="register (or update) an issuer and publish its public keys")
    _common(p, publishes=True)
    p.add_argument(
        "--issuer", required=True, help="the iss claim of its tokens, e.g. https://sso.example.com/realms/home"
    )
    p.add_argument("--audience", required=True, help="the aud its tokens must name (the client id)")
    p.add_argument("--jwks", type=Path, required=True, help="a file with the provider's JWKS (from its jwks_uri)")
    p.add_argument("--tenant-claim", default="tenant_id", help="the claim naming the tenant (default tenant_id)")
    p.set_defaults(func=run_oidc_add)


def _local() -> tuple[str, str, Path, int | None, str]:
    from ..stack.frontdoor import local as frontdoor
    from ..stack.settings import OWNER_ROLE, load_settings
    from ..stack.stack import POSTGREST, jwks_path

    settings = load_settings(create_secrets=False)
    dsn = settings.dsn(settings.db_name, OWNER_ROLE)
    return dsn, settings.jwt_secret, jwks_path(), POSTGREST.pid(), frontdoor.url(settings)


def _target(args: argparse.Namespace) -> tuple[str, str | None, PostgrestTarget]:
    remote = args.dsn is not None
    if remote and args.output is None:
        raise MotovaultError("--output: name the JWKS file PostgREST reads when --dsn is given")
    if remote:
        secret = None
        if args.server_secret_env:
            secret = os.environ.get(args.server_secret_env) or None
            if secret is None or len(secret) < 32:
                raise MotovaultError(
                    f"--server-secret-env: ${args.server_secret_env} must hold the server secret "
                    "(32 characters or more)"
                )
        target = PostgrestTarget(args.output, args.postgrest_pid, args.api_url or "http://127.0.0.1:3000")
        if args.postgrest_pid is not None and args.api_url is None:
            raise MotovaultError("--api-url: needed with --postgrest-pid, to check that PostgREST took the keys")
        return args.dsn, secret, target
    dsn, secret, path, pid, api_url = _local()
    target = PostgrestTarget(args.output or path, args.postgrest_pid or pid, args.api_url or api_url)
    return dsn, (None if args.no_server_secret else secret), target


def _publish(target: PostgrestTarget) -> Callable[[dict[str, Any], list[dict[str, Any]]], bool]:
    def publish(document: dict[str, Any], must_accept: list[dict[str, Any]]) -> bool:
        return target.publish(document, must_accept)

    return publish


def run_list(args: argparse.Namespace) -> int:
    dsn = args.dsn or _local()[0]
    with connect(dsn) as conn:
        for key in list_keys(conn):
            state = "signing" if key.signing else ("retired " + key.retired_at if key.retired_at else "verifying")
            print(f"{key.kid}  created {key.created_at}  signs from {key.signs_from}  {state}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    dsn, secret, target = _target(args)
    with connect(dsn) as conn:
        document = jwks_document(conn, secret)
    target.publish(document, [])
    reloaded = f"; PostgREST (pid {target.pid}) reloaded" if target.pid else ""
    print(f"wrote {len(document['keys'])} key(s) to {target.path}{reloaded}")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    dsn, secret, target = _target(args)
    with connect(dsn) as conn:
        kid, signing = rotate(conn, secret, _publish(target), grace=args.grace)
    if signing:
        print(f"key {kid} signs new tokens; older keys keep verifying until `motovault keys retire`")
    else:
        print(f"wrote {target.path}; key {kid} starts signing in {args.grace}: make PostgREST reload the file "
              "before then (kill -USR2 <pid>, or docker compose kill -s SIGUSR2 postgrest)")
    return 0


def run_retire(args: argparse.Namespace) -> int:
    dsn, secret, target = _target(args)
    with connect(dsn) as conn:
        count = retire(conn, secret, _publish(target))
    print(f"retired {count} key(s); their tokens stay valid until they expire")
    return 0


def run_oidc_add(args: argparse.Namespace) -> int:
    try:
        jwks = json.loads(args.jwks.read_text())
    except (OSError, ValueError) as exc:
        raise MotovaultError(f"--jwks: cannot read a JWKS from {args.jwks}: {exc}") from None
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise MotovaultError(f"--jwks: {args.jwks} is not a JWKS (an object with a keys array)")
    dsn, secret, target = _target(args)
    with connect(dsn) as conn:
        add_oidc_issuer(conn, args.issuer, args.audience, jwks, args.tenant_claim)
        document = jwks_document(conn, secret)
    target.publish(document, [])
    print(
        f"issuer {args.issuer} accepted (audience {args.audience}, tenant claim {args.tenant_claim}); "
        f"wrote {target.path}"
    )
    return 0
