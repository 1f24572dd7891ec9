-- Lists are ordered by name: these indexes give the first page without sorting the province.
CREATE INDEX child_name_order ON child (name, id);
CREATE INDEX volunteer_name_order ON volunteer (name, id);
