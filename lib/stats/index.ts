// Public API of lib/stats (barrel). Each module owner adds its exports here.
