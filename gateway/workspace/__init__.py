"""GitScrum's workspace view of Redmine: one workspace, and its projects as the caller sees them."""
