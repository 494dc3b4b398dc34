"""The layer every other one builds on: errors, paths, settings-free process helpers, JWTs, the one
way to connect (:mod:`.db`), the one sqitch plan parser (:mod:`.plan`) and ``sql/schema.sql``
(:mod:`.schema`). Imports nothing of motovault outside ``core``."""
