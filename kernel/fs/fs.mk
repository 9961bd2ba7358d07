# placeholder: owned by its part
