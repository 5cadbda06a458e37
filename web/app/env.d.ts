// Types for Vite's import.meta.env and asset imports inside the app.
/// <reference types="vite/client" />
