"""`motovault token`: sign a development JWT with the local secret."""

from __future__ import annotations

import argparse
import uuid

from ..core.errors import MotovaultError
from ..core.jwt import parse_ttl, user_token
from ..stack.settings import load_settings


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {value!r}") from None


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "token",
        help="sign a JWT for the local API",
        description="Sign an HS256 JWT with the development secret in .state/secrets.env.",
    )
    p.add_argument("--user", type=_uuid, help="user id (the JWT sub claim)")
    p.add_argument("--tenant", type=_uuid, help="active tenant id (the tenant_id claim)")
    p.add_argument(
        "--role",
        default=None,
        help="with --user: the JWT role claim (default app_user); "
        "with --demo: which demo member (owner, member, viewer)",
    )
    p.add_argument("--demo", action="store_true", help="a token for a member of the demo tenant")
    p.add_argument("--ttl", default="1h", help="lifetime: 90s, 15m, 1h, 7d (default 1h)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ttl = parse_ttl(args.ttl)
    settings = load_settings()
    if args.demo:
        if args.user or args.tenant:
            raise MotovaultError("--demo picks the user and tenant itself; drop --user/--tenant")
        from ..stack.stack import demo_token

        print(demo_token(settings, args.role or "owner", ttl))
        return 0
    if not args.user:
        raise MotovaultError("--user UUID is required (or --demo)")
    print(user_token(settings.jwt_secret, args.user, args.tenant, role=args.role or "app_user", ttl_seconds=ttl))
    return 0
