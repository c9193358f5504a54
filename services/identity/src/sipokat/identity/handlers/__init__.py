"""What identity does for each request, one module per kind of work:

- `context`: the context every handler works with, the outcomes routes answer, the one way to
  write (every write one `apply_once` transaction of identity's views store under a fresh id: a
  command is no event, the id only makes it atomic, so two replicas rotating one refresh token
  at once cannot both win; what an effect reads it reads inside the transaction);
- `keys`: the signing keys and their rotation, the JWKS;
- `sessions`: sign-in, refresh-token rotation, sign-out, the throttling of failed attempts;
- `accounts`: accounts and posts: creation, activation, a changed password, the end of a post.

The names below are what the routes and bootstrap use.
"""

from sipokat.identity.handlers.accounts import (
    NewAccount,
    activate,
    change_password,
    create_account,
    end_post,
)
from sipokat.identity.handlers.context import (
    AccountNotFound,
    ActivationFailed,
    Clock,
    IdentityContext,
    NoPost,
    PhoneTaken,
    RefreshRefused,
    Session,
    SignInFailed,
    Throttled,
)
from sipokat.identity.handlers.keys import jwks, published_keys, rotate_signing_key, signing_key
from sipokat.identity.handlers.sessions import refresh, sign_in, sign_out, sign_out_everywhere

__all__ = [
    "AccountNotFound",
    "ActivationFailed",
    "Clock",
    "IdentityContext",
    "NewAccount",
    "NoPost",
    "PhoneTaken",
    "RefreshRefused",
    "Session",
    "SignInFailed",
    "Throttled",
    "activate",
    "change_password",
    "create_account",
    "end_post",
    "jwks",
    "published_keys",
    "refresh",
    "rotate_signing_key",
    "sign_in",
    "sign_out",
    "sign_out_everywhere",
    "signing_key",
]
