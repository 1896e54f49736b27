// Public API of lib/experiment (barrel). Each module owner adds its exports here.
