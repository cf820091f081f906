# Settings are chosen with DJANGO_SETTINGS_MODULE: config.settings.test in
# CI and on a developer's machine, config.settings.prod in the image.
