"""The controller's program: Project.gfx (the project archive a fleet client reads the project's name and
last change from) and the folders of the file tree that lead to it."""
