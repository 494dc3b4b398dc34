"""The layer every other one builds on: settings, paths, processes, connections, the sqitch plan."""
