"""OAuth2 and credential machinery every vendor shares.

- `tokens`: the stored form of secrets (`digest`), new random tokens, and `TokenCache`, the
  two-second cache of checked credentials behind bearer and API-key authentication;
- `store`: `OAuthStore`, one vendor's clients, authorization codes and token pairs in that
  vendor's tables, with bearer authentication on the account's clock;
- `server`: Authlib's core without a web framework (`ParamsRequest`, `Server`) and
  `OAuthServer`, a server over an `OAuthStore`;
- `grants`: what the vendors' Authlib grants share (a client with a hashed secret, stored
  codes, the refresh grant's token handling);
- `logins`: single-use login tickets between the sign-in and consent pages.

Vendors keep their grant rules, scopes, lifetimes, paths and quirks. The modules are imported
by name (this package re-exports nothing, so `core.accounts` can use `tokens` without a cycle).
"""
