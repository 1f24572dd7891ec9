-- Names in pinyin order: lists sorted by a person's or a station's name read 李, 王, 张 as
-- people look them up, not by code point (which puts 张 before 李). Every query that orders by
-- a name orders by `name COLLATE zh_pinyin`; names in Latin letters follow the Chinese ones.
-- (A deterministic ICU collation: names that differ are never equal, so equality, LIKE and the
-- trigram indexes are as before.)
CREATE COLLATION zh_pinyin (provider = icu, locale = 'zh-u-co-pinyin');

-- The province's lists of children and volunteers by name walk an index in that order rather
-- than sort every row for each page; it takes the place of the code-point index.
CREATE INDEX child_name_pinyin ON child (name COLLATE zh_pinyin, id);
DROP INDEX child_name_order;
CREATE INDEX volunteer_name_pinyin ON volunteer (name COLLATE zh_pinyin, id);
DROP INDEX volunteer_name_order;
