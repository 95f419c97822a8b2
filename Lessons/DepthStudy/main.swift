// placeholder until this lesson is written
