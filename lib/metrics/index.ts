// Public API of lib/metrics (barrel). Each module owner adds its exports here.
