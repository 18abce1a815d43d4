# disks: 100M
# needs: yarac
# setup: printf 'rule hello_rule { strings: $a = "hello" condition: $a }\nrule never { strings: $b = "zzzqqq" condition: $b }\nrule any_file { condition: true }\n' > rules.yar && yarac rules.yar rules.yarc && printf 'rule only_hello { strings: $a = "hello" condition: $a }\n' > hello.yar && printf 'rule broken { strings $a = "x" condition: $a }\nrule bad2 { condition: nosuch }\n' > broken.yar && printf 'rule unknown { condition: nosuch }\n' > unknown.yar && : > empty.yar
# libyara in process: rules loaded as source and compiled by yarac, files
# scanned (matching some rules, none, a symbolic link), syntax errors, and
# the errors before any rules are loaded. (A directory is refused by ours
# with EISDIR; upstream replies then cancels the download: YaraTests.)
feature-available libyara
available libyara
-yara-scan /x
-yara-destroy
mkfs ext4 /dev/sda
mount /dev/sda /
-yara-scan /x
-yara-destroy
write /hello.txt "say hello\n"
write /other.txt "nothing to see\n"
touch /empty
ln-s hello.txt /link
yara-load rules.yar
yara-scan /hello.txt
yara-scan /other.txt
yara-scan /empty
yara-scan /link
-yara-scan /nope
yara-load rules.yarc
yara-scan /hello.txt
yara-scan /other.txt
# no rule matches: the library (1.48) fails to decode an empty list
yara-load hello.yar
-yara-scan /other.txt
yara-scan /hello.txt
# errors in the rules: the loaded rules are gone too
-yara-load broken.yar
-yara-scan /hello.txt
-yara-load unknown.yar
yara-load empty.yar
-yara-scan /hello.txt
yara-load rules.yar
yara-destroy
-yara-destroy
-yara-scan /hello.txt
