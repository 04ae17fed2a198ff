"""The timer page under /-/app/: its static files, its sign-in session and the API it calls."""
