<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>AccountWizard</name>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="704" />
        <source>Add Account</source>
        <translation>Konto hinzufügen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="705" />
        <source>Add account</source>
        <translation>Konto hinzufügen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="710" />
        <source>&amp;Save</source>
        <translation>&amp;Speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="726" />
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="727" />
        <source>Next</source>
        <translation>Weiter</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="728" />
        <source>Save the account</source>
        <translation>Das Konto speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="729" />
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="769" />
        <source>Saving…</source>
        <translation>Wird gespeichert…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="790" />
        <source>Not saved.</source>
        <translation>Nicht gespeichert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="793" />
        <source>Saving failed.</source>
        <translation>Speichern fehlgeschlagen.</translation>
    </message>
</context>
<context>
    <name>AccountsSettingsDialog</name>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="162" />
        <source>Account Settings</source>
        <translation>Konten-Einstellungen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="163" />
        <source>Account settings</source>
        <translation>Konten-Einstellungen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="174" />
        <source>Accounts</source>
        <translation>Konten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="181" />
        <source>Account name</source>
        <translation>Kontoname</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="183" />
        <source>Your name</source>
        <translation>Ihr Name</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="185" />
        <source>Email address</source>
        <translation>E-Mail-Adresse</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="191" />
        <source>Account na&amp;me:</source>
        <translation>Konto&amp;name:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="192" />
        <source>&amp;Your name:</source>
        <translation>&amp;Ihr Name:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="193" />
        <source>Email &amp;address:</source>
        <translation>E-Mail-&amp;Adresse:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="194" />
        <source>Passwords:</source>
        <translation>Passwörter:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="198" />
        <source>Incoming mail</source>
        <translation>Posteingangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="200" />
        <source>IMAP</source>
        <translation>IMAP</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="201" />
        <source>POP3</source>
        <translation>POP3</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="202" />
        <source>Incoming protocol</source>
        <translation>Protokoll für eingehende Nachrichten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="204" />
        <source>&amp;Protocol:</source>
        <translation>&amp;Protokoll:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="206" />
        <source>Incoming</source>
        <translation>Eingehend</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="207" />
        <source>Se&amp;rver:</source>
        <translation>Se&amp;rver:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="207" />
        <source>P&amp;ort:</source>
        <translation>P&amp;ort:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="207" />
        <source>Securit&amp;y:</source>
        <translation>Sic&amp;herheit:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="207" />
        <source>&amp;Username:</source>
        <translation>&amp;Benutzername:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="211" />
        <source>New password</source>
        <translation>Neues Passwort</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="212" />
        <location filename="../../mailapp/ui/accounts_settings.py" line="224" />
        <source>unchanged</source>
        <translation>unverändert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="213" />
        <source>New pass&amp;word:</source>
        <translation>Neues Pass&amp;wort:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="214" />
        <source>Outgoing mail (SMTP)</source>
        <translation>Postausgangs-Server (SMTP)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="216" />
        <source>Outgoing</source>
        <translation>Ausgehend</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="217" />
        <source>Ser&amp;ver:</source>
        <translation>Ser&amp;ver:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="217" />
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="217" />
        <source>Security:</source>
        <translation>Sicherheit:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="217" />
        <source>Username:</source>
        <translation>Benutzername:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="219" />
        <source>Use a different SMTP password</source>
        <translation>Ein anderes SMTP-Passwort verwenden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="220" />
        <source>Outgoing server has its own password</source>
        <translation>Der Postausgangs-Server hat ein eigenes Passwort</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="223" />
        <source>New outgoing password</source>
        <translation>Neues Passwort für den Postausgangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="227" />
        <source>SMTP password:</source>
        <translation>SMTP-Passwort:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="229" />
        <source>&amp;Test</source>
        <translation>&amp;Testen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="231" />
        <source>Test the settings</source>
        <translation>Die Einstellungen testen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="251" />
        <source>Account settings pages</source>
        <translation>Seiten der Konten-Einstellungen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="252" />
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="253" />
        <source>Servers</source>
        <translation>Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="254" />
        <source>Options</source>
        <translation>Optionen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="259" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="260" />
        <source>No account yet. Use File › Add Account… first.</source>
        <translation>Noch kein Konto. Wählen Sie zuerst Datei › Konto hinzufügen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="265" />
        <source>Remo&amp;ve Account…</source>
        <translation>Konto entfe&amp;rnen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="268" />
        <source>Remove the account</source>
        <translation>Das Konto entfernen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="271" />
        <source>Save the account settings</source>
        <translation>Die Konten-Einstellungen speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="273" />
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="338" />
        <source>from the command %1</source>
        <translation>vom Befehl %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="340" />
        <source>kept in %1</source>
        <translation>gespeichert in %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="354" />
        <source>Test logs in to both servers with these settings; nothing is saved.</source>
        <translation>Testen meldet sich mit diesen Einstellungen bei beiden Servern an; nichts wird gespeichert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="377" />
        <source>Enter an email address like ada@example.org.</source>
        <translation>Geben Sie eine E-Mail-Adresse wie ada@example.org ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="379" />
        <source>incoming</source>
        <translation>Posteingangs-Servers</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="380" />
        <source>outgoing</source>
        <translation>Postausgangs-Servers</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="427" />
        <source>Enter the SMTP password to test changed settings.</source>
        <translation>Geben Sie das SMTP-Passwort ein, um geänderte Einstellungen zu testen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="435" />
        <source>Enter the password to test changed settings.</source>
        <translation>Geben Sie das Passwort ein, um geänderte Einstellungen zu testen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="440" />
        <source>Testing…</source>
        <translation>Wird getestet…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="447" />
        <source>Certificate pinned; Save keeps it for this account.</source>
        <translation>Zertifikat festgelegt; Speichern übernimmt es für dieses Konto.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="454" />
        <source>Test stopped.</source>
        <translation>Test abgebrochen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="456" />
        <source>The test failed.</source>
        <translation>Der Test ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="481" />
        <source>Saving…</source>
        <translation>Wird gespeichert…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="492" />
        <source>Not saved.</source>
        <translation>Nicht gespeichert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="495" />
        <source>Saving failed.</source>
        <translation>Speichern fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="501" />
        <source>Saved.</source>
        <translation>Gespeichert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="511" />
        <source>Remove Account</source>
        <translation>Konto entfernen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="512" />
        <source>Remove the account “%1”?</source>
        <translation>Das Konto „%1“ entfernen?</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="515" />
        <source>Its settings and saved passwords are deleted from this computer. Mail on the server is not touched.</source>
        <translation>Seine Einstellungen und gespeicherten Passwörter werden von diesem Computer gelöscht. Nachrichten auf dem Server bleiben unberührt.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="519" />
        <source>&amp;Remove</source>
        <translation>&amp;Entfernen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="536" />
        <source>Removing %1…</source>
        <translation>%1 wird entfernt…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="544" />
        <source>Removing failed.</source>
        <translation>Entfernen fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="550" />
        <source>Account removed.</source>
        <translation>Konto entfernt.</translation>
    </message>
</context>
<context>
    <name>AttachmentBar</name>
    <message>
        <location filename="../../mailapp/ui/attachment_bar.py" line="83" />
        <source>Attachments</source>
        <translation>Anhänge</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_bar.py" line="94" />
        <location filename="../../mailapp/ui/attachment_bar.py" line="130" />
        <source>Save &amp;All…</source>
        <translation>&amp;Alle speichern…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_bar.py" line="95" />
        <source>Save all attachments</source>
        <translation>Alle Anhänge speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_bar.py" line="128" />
        <source>&amp;Open</source>
        <translation>Ö&amp;ffnen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_bar.py" line="129" />
        <source>&amp;Save…</source>
        <translation>&amp;Speichern…</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <location filename="../../mailapp/ui/attachment_bar.py" line="46" />
        <source>%1
%2, %3 — double-click opens, right-click saves</source>
        <translation>%1
%2, %3 – Doppelklick öffnet, Rechtsklick speichert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_bar.py" line="52" />
        <location filename="../../mailapp/ui/attachment_list.py" line="66" />
        <source>Attachment %1, %2</source>
        <translation>Anhang %1, %2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_list.py" line="56" />
        <source>Remove the attachment %1</source>
        <translation>Den Anhang %1 entfernen</translation>
    </message>
</context>
<context>
    <name>AttachmentList</name>
    <message>
        <location filename="../../mailapp/ui/attachment_list.py" line="84" />
        <source>Attachments</source>
        <translation>Anhänge</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_list.py" line="139" />
        <source>1 attachment, %1</source>
        <translation>1 Anhang, %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/attachment_list.py" line="141" />
        <source>%n attachments, %1</source>
        <translation>%n Anhänge, %1</translation>
    </message>
</context>
<context>
    <name>CheckResults</name>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="41" />
        <source>Test results</source>
        <translation>Testergebnisse</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="48" />
        <source>Test status</source>
        <translation>Teststatus</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="56" />
        <source>Certificate problem</source>
        <translation>Zertifikatsproblem</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="65" />
        <source>Certificate SHA-256 fingerprint</source>
        <translation>SHA-256-Fingerabdruck des Zertifikats</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="67" />
        <source>T&amp;rust This Certificate for This Account</source>
        <translation>Diesem Zertifikat für dieses Konto &amp;vertrauen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="70" />
        <source>Trust this certificate for this account</source>
        <translation>Diesem Zertifikat für dieses Konto vertrauen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="89" />
        <source>incoming server</source>
        <translation>Posteingangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="90" />
        <source>outgoing server</source>
        <translation>Postausgangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="95" />
        <source>Incoming</source>
        <translation>Eingehend</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="96" />
        <source>Outgoing</source>
        <translation>Ausgehend</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="99" />
        <source>Connect</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="100" />
        <source>Encryption</source>
        <translation>Verschlüsselung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="101" />
        <source>Certificate</source>
        <translation>Zertifikat</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="102" />
        <source>Login</source>
        <translation>Anmeldung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="105" />
        <source>passed</source>
        <translation>bestanden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="106" />
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="107" />
        <source>not tried</source>
        <translation>nicht versucht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="120" />
        <source>Wrong user name or password: the %1 refused the login. Check both and test again.</source>
        <translation>Falscher Benutzername oder falsches Passwort: Der %1 hat die Anmeldung abgelehnt. Prüfen Sie beides und testen Sie erneut.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="123" />
        <source>The %1 offers no password login mailapp can use.</source>
        <translation>Der %1 bietet keine Anmeldung mit Passwort an, die mailapp verwenden kann.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="126" />
        <source>The %1 did not answer in time. Check its name and port; a firewall or the network may be blocking it.</source>
        <translation>Der %1 hat nicht rechtzeitig geantwortet. Prüfen Sie Namen und Port; möglicherweise blockiert eine Firewall oder das Netzwerk die Verbindung.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="130" />
        <source>Could not connect to the %1. Check its name and port.</source>
        <translation>Keine Verbindung zum %1 möglich. Prüfen Sie Namen und Port.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="132" />
        <source>The %1's certificate is not trusted.</source>
        <translation>Das Zertifikat vom %1 ist nicht vertrauenswürdig.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="135" />
        <source>The %1 does not offer STARTTLS, so the password would travel unencrypted. Choose SSL/TLS or another port.</source>
        <translation>Der %1 bietet kein STARTTLS an; das Passwort würde unverschlüsselt übertragen. Wählen Sie SSL/TLS oder einen anderen Port.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="139" />
        <source>The encrypted connection to the %1 failed.</source>
        <translation>Die verschlüsselte Verbindung zum %1 ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="141" />
        <source>The %1 test failed.</source>
        <translation>Der Test für den %1 ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="175" />
        <source>Certificate SHA-256: %1</source>
        <translation>Zertifikat SHA-256: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="195" />
        <source>Both servers accepted the login.</source>
        <translation>Beide Server haben die Anmeldung akzeptiert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="219" />
        <source>The %1 presents the same certificate.</source>
        <translation>Der %1 zeigt dasselbe Zertifikat.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="226" />
        <source>The two servers present different certificates; an account can pin only one. Give the file of the authority that signed them as the CA file instead. %1</source>
        <translation>Die beiden Server zeigen unterschiedliche Zertifikate; ein Konto kann nur eines festlegen. Geben Sie stattdessen die Datei der Zertifizierungsstelle, die sie signiert hat, als CA-Datei an. %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/check_results.py" line="235" />
        <source>%1 Its SHA-256 fingerprint is shown below. Trust it only if your provider confirms this fingerprint: mailapp will then accept exactly this certificate for this account, and no other.</source>
        <translation>%1 Sein SHA-256-Fingerabdruck steht unten. Vertrauen Sie ihm nur, wenn Ihr Anbieter diesen Fingerabdruck bestätigt: mailapp akzeptiert dann für dieses Konto genau dieses Zertifikat und kein anderes.</translation>
    </message>
</context>
<context>
    <name>ComposerWindow</name>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="169" />
        <source>Write a message</source>
        <translation>Nachricht verfassen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="190" />
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="194" />
        <source>No account yet: add one in the main window</source>
        <translation>Noch kein Konto: Fügen Sie eines im Hauptfenster hinzu</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="197" />
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="198" />
        <source>Cc</source>
        <translation>Kopie (CC)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="199" />
        <source>Bcc</source>
        <translation>Blindkopie (BCC)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="200" />
        <source>Type a name or address</source>
        <translation>Name oder Adresse eingeben</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="203" />
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="209" />
        <source>Message text</source>
        <translation>Nachrichtentext</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="216" />
        <source>A&amp;ttach…</source>
        <translation>Anhän&amp;gen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="220" />
        <source>Attach files</source>
        <translation>Dateien anhängen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="221" />
        <source>Attach files (or drop them on the window)</source>
        <translation>Dateien anhängen (oder auf das Fenster ziehen)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="234" />
        <source>Ask for &amp;delivery confirmation</source>
        <translation>&amp;Zustellbestätigung anfordern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="236" />
        <source>Ask for delivery confirmation</source>
        <translation>Zustellbestätigung anfordern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="239" />
        <source>Ask the receiving servers to report when the message is delivered (if the server offers delivery reports). The reports are filed away from your Inbox.</source>
        <translation>Die empfangenden Server bitten, die Zustellung der Nachricht zu melden (sofern der Server Zustellberichte anbietet). Die Berichte werden außerhalb Ihres Posteingangs abgelegt.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="245" />
        <source>Ask for a &amp;read receipt</source>
        <translation>&amp;Lesebestätigung anfordern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="247" />
        <source>Ask for a read receipt</source>
        <translation>Lesebestätigung anfordern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="249" />
        <source>Ask the recipient's program to confirm when the message is opened.</source>
        <translation>Das Programm des Empfängers bitten, das Öffnen der Nachricht zu bestätigen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="257" />
        <source>Save &amp;Draft</source>
        <translation>&amp;Entwurf speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="261" />
        <source>Save draft</source>
        <translation>Entwurf speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="262" />
        <source>Save as a draft (Ctrl+S)</source>
        <translation>Als Entwurf speichern (Strg+S)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="268" />
        <source>&amp;Send</source>
        <translation>&amp;Senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="272" />
        <location filename="../../mailapp/ui/composer_window.py" line="284" />
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="279" />
        <source>Send the message (Ctrl+Enter)</source>
        <translation>Die Nachricht senden (Strg+Eingabe)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="281" />
        <source>Add an account to send mail</source>
        <translation>Fügen Sie ein Konto hinzu, um Nachrichten zu senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="288" />
        <source>Save Draft</source>
        <translation>Entwurf speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="315" />
        <source>&amp;From:</source>
        <translation>&amp;Von:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="316" />
        <source>&amp;To:</source>
        <translation>&amp;An:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="317" />
        <source>&amp;Cc:</source>
        <translation>&amp;Kopie (CC):</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="318" />
        <source>&amp;Bcc:</source>
        <translation>&amp;Blindkopie (BCC):</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="319" />
        <source>S&amp;ubject:</source>
        <translation>Be&amp;treff:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="413" />
        <source>New message</source>
        <translation>Neue Nachricht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="431" />
        <source>The link also asked to set %1; that was ignored.</source>
        <translation>Der Link wollte auch %1 setzen; das wurde ignoriert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="523" />
        <source>Taken back from the Outbox: it is not sent until you send it again. If you close this window, it stays in Drafts.</source>
        <translation>Aus dem Postausgang zurückgeholt: Sie wird erst gesendet, wenn Sie sie erneut senden. Wenn Sie dieses Fenster schließen, bleibt sie bei den Entwürfen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="550" />
        <source>Attach Files</source>
        <translation>Dateien anhängen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="623" />
        <source>Add an account first: there is no one to send as.</source>
        <translation>Fügen Sie zuerst ein Konto hinzu: Es gibt keinen Absender.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="629" />
        <source>Check these addresses: %1</source>
        <translation>Prüfen Sie diese Adressen: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="664" />
        <source>Add at least one recipient in To, Cc or Bcc.</source>
        <translation>Geben Sie mindestens einen Empfänger in An, Kopie (CC) oder Blindkopie (BCC) an.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="671" />
        <source>The message has no subject.</source>
        <translation>Die Nachricht hat keinen Betreff.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="674" />
        <source>The text mentions an attachment, but nothing is attached.</source>
        <translation>Der Text erwähnt einen Anhang, aber es ist nichts angehängt.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="701" />
        <source>Saving draft…</source>
        <translation>Entwurf wird gespeichert…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="720" />
        <source>Draft not saved</source>
        <translation>Entwurf nicht gespeichert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="722" />
        <source>The draft was not saved: %1</source>
        <translation>Der Entwurf wurde nicht gespeichert: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="729" />
        <source>Draft saved at %1 on this computer only</source>
        <translation>Entwurf um %1 nur auf diesem Computer gespeichert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="731" />
        <source>Not in the server's Drafts folder: %1</source>
        <translation>Nicht im Entwürfe-Ordner des Servers: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="734" />
        <source>Draft saved at %1</source>
        <translation>Entwurf um %1 gespeichert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="736" />
        <source>On this computer and in the folder %1</source>
        <translation>Auf diesem Computer und im Ordner %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="738" />
        <source>On this computer</source>
        <translation>Auf diesem Computer</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="744" />
        <source>Saved without these addresses, which are not usable: %1</source>
        <translation>Ohne diese unbrauchbaren Adressen gespeichert: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="775" />
        <source>Save the draft?</source>
        <translation>Den Entwurf speichern?</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="776" />
        <source>Save this message as a draft before closing?</source>
        <translation>Diese Nachricht vor dem Schließen als Entwurf speichern?</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="777" />
        <source>If you discard it, the changes are lost.</source>
        <translation>Wenn Sie sie verwerfen, gehen die Änderungen verloren.</translation>
    </message>
</context>
<context>
    <name>Delivery</name>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="99" />
        <location filename="../../mailapp/ui/delivery_column.py" line="129" />
        <location filename="../../mailapp/ui/delivery_column.py" line="156" />
        <source>Queued</source>
        <translation>In Warteschlange</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="100" />
        <location filename="../../mailapp/ui/delivery_column.py" line="130" />
        <location filename="../../mailapp/ui/delivery_column.py" line="157" />
        <source>Sending</source>
        <translation>Wird gesendet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="101" />
        <location filename="../../mailapp/ui/delivery_column.py" line="131" />
        <location filename="../../mailapp/ui/delivery_column.py" line="158" />
        <source>Deferred</source>
        <translation>Zurückgestellt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="102" />
        <location filename="../../mailapp/ui/delivery_column.py" line="132" />
        <location filename="../../mailapp/ui/delivery_column.py" line="160" />
        <source>Sent to server</source>
        <translation>An Server übergeben</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="103" />
        <location filename="../../mailapp/ui/delivery_column.py" line="161" />
        <source>Relayed</source>
        <translation>Weitergereicht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="104" />
        <source>Expanded</source>
        <translation>Verteilt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="105" />
        <location filename="../../mailapp/ui/delivery_column.py" line="162" />
        <source>Delayed</source>
        <translation>Verzögert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="106" />
        <source>Delivered</source>
        <translation>Zugestellt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="107" />
        <location filename="../../mailapp/ui/delivery_column.py" line="133" />
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="108" />
        <location filename="../../mailapp/ui/delivery_column.py" line="134" />
        <location filename="../../mailapp/ui/delivery_column.py" line="159" />
        <source>Uncertain</source>
        <translation>Ungewiss</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="117" />
        <source>Receipt failed</source>
        <translation>Bestätigung fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="118" />
        <source>Receipt declined</source>
        <translation>Bestätigung abgelehnt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="119" />
        <source>Processed unread</source>
        <translation>Ungelesen verarbeitet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="120" />
        <source>Forwarded unread</source>
        <translation>Ungelesen weitergeleitet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="121" />
        <source>Deleted unread</source>
        <translation>Ungelesen gelöscht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="122" />
        <location filename="../../mailapp/ui/delivery_column.py" line="163" />
        <source>Read</source>
        <translation>Gelesen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="142" />
        <source>Failed %1/%2</source>
        <translation>Fehlgeschlagen %1/%2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="143" />
        <location filename="../../mailapp/ui/delivery_column.py" line="145" />
        <source>Delivered %1/%2</source>
        <translation>Zugestellt %1/%2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="148" />
        <source>Read %1/%2</source>
        <translation>Gelesen %1/%2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="170" />
        <source>Delivery per recipient:</source>
        <translation>Zustellung je Empfänger:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="177" />
        <source>The server gives no delivery reports for this message.</source>
        <translation>Der Server liefert für diese Nachricht keine Zustellberichte.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="199" />
        <location filename="../../mailapp/ui/delivery_column.py" line="229" />
        <source>Delivery: %1</source>
        <translation>Zustellung: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="211" />
        <source>Not tracked</source>
        <translation>Nicht verfolgt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_column.py" line="216" />
        <source>Sent by another program (a phone, webmail): mailapp has no per-recipient delivery tracking for this message.</source>
        <translation>Von einem anderen Programm gesendet (Telefon, Webmail): mailapp verfolgt die Zustellung dieser Nachricht nicht je Empfänger.</translation>
    </message>
</context>
<context>
    <name>DeliveryPanel</name>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="94" />
        <source>The recipient's mailbox is full (4.2.2). Nothing to do yet: the mail servers keep trying, and you are told if they give up.</source>
        <translation>Das Postfach des Empfängers ist voll (4.2.2). Noch ist nichts zu tun: Die Mailserver versuchen es weiter, und Sie erfahren es, wenn sie aufgeben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="98" />
        <source>The recipient's mail server has not taken it yet (%1). Nothing to do yet: the mail servers keep trying for a few days, and you are told if they give up.</source>
        <translation>Der Mailserver des Empfängers hat die Nachricht noch nicht angenommen (%1). Noch ist nichts zu tun: Die Mailserver versuchen es einige Tage lang weiter, und Sie erfahren es, wenn sie aufgeben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="100" />
        <source>no status</source>
        <translation>kein Status</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="102" />
        <source>The address does not exist (5.1.1). Check the spelling.</source>
        <translation>Die Adresse existiert nicht (5.1.1). Prüfen Sie die Schreibweise.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="103" />
        <source>The address was not accepted (5.1.0). Check the spelling.</source>
        <translation>Die Adresse wurde nicht angenommen (5.1.0). Prüfen Sie die Schreibweise.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="105" />
        <source>The recipient's domain does not exist or takes no mail (5.1.2). Check the part after the @.</source>
        <translation>Die Domain des Empfängers existiert nicht oder nimmt keine E-Mails an (5.1.2). Prüfen Sie den Teil nach dem @.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="108" />
        <source>The address is not valid (5.1.3). Check how it is written.</source>
        <translation>Die Adresse ist ungültig (5.1.3). Prüfen Sie, wie sie geschrieben ist.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="109" />
        <source>The mailbox has moved (5.1.6). Ask the recipient for their new address.</source>
        <translation>Das Postfach ist umgezogen (5.1.6). Fragen Sie den Empfänger nach seiner neuen Adresse.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="110" />
        <source>The address has no mailbox behind it (5.1.10). Check the spelling.</source>
        <translation>Hinter der Adresse steht kein Postfach (5.1.10). Prüfen Sie die Schreibweise.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="112" />
        <source>The mailbox is disabled and accepts no mail (5.2.1). Reach the recipient another way.</source>
        <translation>Das Postfach ist deaktiviert und nimmt keine E-Mails an (5.2.1). Erreichen Sie den Empfänger auf anderem Weg.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="115" />
        <source>The recipient's mailbox is full (5.2.2). Try again later, or reach them another way.</source>
        <translation>Das Postfach des Empfängers ist voll (5.2.2). Versuchen Sie es später erneut oder erreichen Sie ihn auf anderem Weg.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="117" />
        <source>The recipient's mailbox is full (4.2.2). The server keeps trying.</source>
        <translation>Das Postfach des Empfängers ist voll (4.2.2). Der Server versucht es weiter.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="119" />
        <source>The message is too big for the recipient's server (5.2.3). Send smaller attachments, or a link instead.</source>
        <translation>Die Nachricht ist zu groß für den Server des Empfängers (5.2.3). Senden Sie kleinere Anhänge oder stattdessen einen Link.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="123" />
        <source>The message is too big for the receiving system (5.3.4). Send smaller attachments, or a link instead.</source>
        <translation>Die Nachricht ist zu groß für das empfangende System (5.3.4). Senden Sie kleinere Anhänge oder stattdessen einen Link.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="127" />
        <source>The recipient's domain has no mail server (5.4.4). Check the part after the @.</source>
        <translation>Die Domain des Empfängers hat keinen Mailserver (5.4.4). Prüfen Sie den Teil nach dem @.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="134" />
        <source>The receiving server could not be reached for a long time (%1). Check the part after the @; if it is right, the recipient's mail system is down: try again later.</source>
        <translation>Der empfangende Server war lange Zeit nicht erreichbar (%1). Prüfen Sie den Teil nach dem @; stimmt er, ist das Mailsystem des Empfängers ausgefallen: Versuchen Sie es später erneut.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="137" />
        <source>expired</source>
        <translation>abgelaufen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="140" />
        <source>The receiving server refused the message by policy (%1): a spam filter, a sender it does not allow, or missing authentication. Sending it again as it is will not help; ask the recipient or your provider.</source>
        <translation>Der empfangende Server hat die Nachricht aufgrund seiner Richtlinien abgelehnt (%1): ein Spamfilter, ein nicht zugelassener Absender oder fehlende Authentifizierung. Unverändert erneut senden hilft nicht; fragen Sie den Empfänger oder Ihren Anbieter.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="146" />
        <source>The recipient's mailbox cannot take the message (%1). Reach them another way.</source>
        <translation>Das Postfach des Empfängers kann die Nachricht nicht annehmen (%1). Erreichen Sie ihn auf anderem Weg.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="149" />
        <source>The address was refused (%1). Check the spelling.</source>
        <translation>Die Adresse wurde abgelehnt (%1). Prüfen Sie die Schreibweise.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="152" />
        <source>The receiving server could not handle the message's content (%1). Try without attachments or formatting.</source>
        <translation>Der empfangende Server konnte den Inhalt der Nachricht nicht verarbeiten (%1). Versuchen Sie es ohne Anhänge oder Formatierung.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="156" />
        <source>A temporary problem (%1); the mail servers keep trying.</source>
        <translation>Ein vorübergehendes Problem (%1); die Mailserver versuchen es weiter.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="159" />
        <source>The receiving server refused the message (%1). Its own words are below.</source>
        <translation>Der empfangende Server hat die Nachricht abgelehnt (%1). Seine eigenen Worte stehen unten.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="161" />
        <source>The message could not be delivered. The server's own words are below.</source>
        <translation>Die Nachricht konnte nicht zugestellt werden. Die eigenen Worte des Servers stehen unten.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="186" />
        <source>Delivered</source>
        <translation>Zugestellt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="188" />
        <location filename="../../mailapp/ui/delivery_panel.py" line="204" />
        <source>by %1</source>
        <translation>von %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="189" />
        <location filename="../../mailapp/ui/delivery_panel.py" line="212" />
        <source>at %1</source>
        <translation>um %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="192" />
        <source>Failed at %1</source>
        <translation>Fehlgeschlagen um %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="194" />
        <source>reported by %1</source>
        <translation>gemeldet von %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="197" />
        <source>Delayed at %1</source>
        <translation>Verzögert um %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="200" />
        <source>the mail servers keep trying</source>
        <translation>die Mailserver versuchen es weiter</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="202" />
        <source>Relayed</source>
        <translation>Weitergereicht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="205" />
        <source>at %1 to a system that sends no reports</source>
        <translation>um %1 an ein System, das keine Berichte sendet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="207" />
        <source>Passed on at %1 by an alias or mailing list</source>
        <translation>Um %1 von einem Alias oder einer Mailingliste weitergegeben</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="209" />
        <source>Sent to server</source>
        <translation>An Server übergeben</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="214" />
        <source>waiting for a delivery report</source>
        <translation>wartet auf einen Zustellbericht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="218" />
        <source>The connection broke before the server confirmed: it may or may not have been sent</source>
        <translation>Die Verbindung brach ab, bevor der Server bestätigte: Die Nachricht wurde möglicherweise gesendet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="221" />
        <source>Not sent yet</source>
        <translation>Noch nicht gesendet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="223" />
        <source>next try at %1</source>
        <translation>nächster Versuch um %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="226" />
        <source>Being sent now</source>
        <translation>Wird gerade gesendet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="227" />
        <source>Queued at %1, waiting to be sent</source>
        <translation>Um %1 eingereiht, wartet auf den Versand</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="232" />
        <source>SMTP reply</source>
        <translation>SMTP-Antwort</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="233" />
        <source>Delivery report (DSN)</source>
        <translation>Zustellbericht (DSN)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="234" />
        <source>Read receipt (MDN)</source>
        <translation>Lesebestätigung (MDN)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="235" />
        <source>Bounce</source>
        <translation>Unzustellbarkeitsnachricht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="236" />
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="237" />
        <source>mailapp</source>
        <translation>mailapp</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="254" />
        <source>(older news)</source>
        <translation>(ältere Meldung)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="263" />
        <source>your outgoing server</source>
        <translation>Ihr Postausgangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="266" />
        <source>%1 gives no delivery reports: mailapp knows the server took the message, but not whether it arrived.</source>
        <translation>%1 liefert keine Zustellberichte: mailapp weiß, dass der Server die Nachricht angenommen hat, aber nicht, ob sie angekommen ist.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="273" />
        <source>No delivery reports were asked for with this message: the states stop at “Sent to server”.</source>
        <translation>Für diese Nachricht wurden keine Zustellberichte angefordert: Der Status endet bei „An Server übergeben“.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="280" />
        <source>mailapp lost the connection right after handing the message over, so it may already have arrived. It is never sent again on its own: use the Outbox to send it again if you want.</source>
        <translation>mailapp hat die Verbindung direkt nach der Übergabe der Nachricht verloren, sie ist also möglicherweise schon angekommen. Sie wird nie von selbst erneut gesendet: Verwenden Sie den Postausgang, wenn Sie sie erneut senden möchten.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="338" />
        <source>Read receipt: %1</source>
        <translation>Lesebestätigung: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="340" />
        <source>A read receipt (MDN) from the recipient's program; separate from delivery.</source>
        <translation>Eine Lesebestätigung (MDN) vom Programm des Empfängers; unabhängig von der Zustellung.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="349" />
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="354" />
        <location filename="../../mailapp/ui/delivery_panel.py" line="404" />
        <source>Timeline for %1</source>
        <translation>Verlauf für %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="394" />
        <source>The server said: %1</source>
        <translation>Der Server meldete: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="408" />
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="408" />
        <source>Source</source>
        <translation>Quelle</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="408" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="408" />
        <source>Diagnostic</source>
        <translation>Diagnose</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="408" />
        <source>Reported by</source>
        <translation>Gemeldet von</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="434" />
        <source>View original report…</source>
        <translation>Originalbericht anzeigen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="437" />
        <source>View the original report for %1</source>
        <translation>Den Originalbericht für %1 anzeigen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="445" />
        <source>No report came for this recipient yet.</source>
        <translation>Für diesen Empfänger ist noch kein Bericht eingegangen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="497" />
        <location filename="../../mailapp/ui/delivery_panel.py" line="549" />
        <source>Delivery</source>
        <translation>Zustellung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="558" />
        <location filename="../../mailapp/ui/delivery_panel.py" line="559" />
        <location filename="../../mailapp/ui/delivery_panel.py" line="585" />
        <source>Delivery: %1</source>
        <translation>Zustellung: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="562" />
        <source>sent %1</source>
        <translation>gesendet %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="564" />
        <source>via %1</source>
        <translation>über %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="571" />
        <source>At least one recipient did not get the message.</source>
        <translation>Mindestens ein Empfänger hat die Nachricht nicht erhalten.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="599" />
        <location filename="../../mailapp/ui/delivery_panel.py" line="600" />
        <source>Original delivery report</source>
        <translation>Originaler Zustellbericht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/delivery_panel.py" line="604" />
        <source>Report text</source>
        <translation>Berichtstext</translation>
    </message>
</context>
<context>
    <name>DiscoveryPage</name>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="162" />
        <source>Looking up your server settings</source>
        <translation>Ihre Server-Einstellungen werden gesucht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="165" />
        <source>Lookup status</source>
        <translation>Status der Suche</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="166" />
        <source>&amp;Stop Looking</source>
        <translation>Suche a&amp;bbrechen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="168" />
        <source>Stop looking up the settings</source>
        <translation>Die Suche nach den Einstellungen abbrechen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="188" />
        <source>Each place mailapp asks, for %1, and what it answered.</source>
        <translation>Jede Stelle, die mailapp für %1 fragt, und was sie geantwortet hat.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="193" />
        <source>Looking up the settings for %1…</source>
        <translation>Einstellungen für %1 werden gesucht…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="217" />
        <source>Stopped. Enter the server settings on the next page.</source>
        <translation>Abgebrochen. Geben Sie die Server-Einstellungen auf der nächsten Seite ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="219" />
        <source>The lookup failed.</source>
        <translation>Die Suche ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="221" />
        <source>You can enter the server settings on the next page.</source>
        <translation>Sie können die Server-Einstellungen auf der nächsten Seite eingeben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="241" />
        <source>Settings found%1 by: %2. Next shows them; every field can be changed.</source>
        <translation>Einstellungen gefunden%1 über: %2. Weiter zeigt sie an; jedes Feld lässt sich ändern.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="247" />
        <source>Only the incoming server was found. Enter the outgoing server on the next page.</source>
        <translation>Nur der Posteingangs-Server wurde gefunden. Geben Sie den Postausgangs-Server auf der nächsten Seite ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="251" />
        <source>Only the outgoing server was found. Enter the incoming server on the next page.</source>
        <translation>Nur der Postausgangs-Server wurde gefunden. Geben Sie den Posteingangs-Server auf der nächsten Seite ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="253" />
        <source>No settings were found. Enter them on the next page.</source>
        <translation>Es wurden keine Einstellungen gefunden. Geben Sie sie auf der nächsten Seite ein.</translation>
    </message>
</context>
<context>
    <name>DiscoveryStepsModel</name>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="53" />
        <source>Provider's autoconfig server</source>
        <translation>Autoconfig-Server des Anbieters</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="54" />
        <source>Domain's well-known autoconfig file</source>
        <translation>Autoconfig-Datei der Domain (well-known)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="55" />
        <source>Thunderbird's provider database</source>
        <translation>Anbieter-Datenbank von Thunderbird</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="56" />
        <source>DNS service records (SRV)</source>
        <translation>DNS-Diensteinträge (SRV)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="57" />
        <source>Guess from the mail exchanger (MX)</source>
        <translation>Aus dem Mailserver (MX) erraten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="58" />
        <source>Connecting to the standard ports</source>
        <translation>Verbindung zu den Standard-Ports</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="63" />
        <source>waiting</source>
        <translation>wartet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="64" />
        <source>checking…</source>
        <translation>wird geprüft…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="65" />
        <source>found</source>
        <translation>gefunden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="66" />
        <source>names guessed</source>
        <translation>Namen erraten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="67" />
        <source>not found</source>
        <translation>nicht gefunden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="68" />
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="69" />
        <source>skipped</source>
        <translation>übersprungen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="122" />
        <source>Tried:</source>
        <translation>Versucht:</translation>
    </message>
</context>
<context>
    <name>DiscoveryView</name>
    <message>
        <location filename="../../mailapp/ui/discovery_view.py" line="136" />
        <source>Discovery steps</source>
        <translation>Schritte der Suche</translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <location filename="../../mailapp/ui/empty_state.py" line="21" />
        <location filename="../../mailapp/ui/empty_state.py" line="33" />
        <source>No account yet</source>
        <translation>Noch kein Konto</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/empty_state.py" line="31" />
        <source>mailapp logo</source>
        <translation>mailapp-Logo</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/empty_state.py" line="43" />
        <source>Add your email account to read and send mail. For every message you send, mailapp then shows whether it reached each recipient: accepted, delivered, delayed or failed, in the receiving server's own words.</source>
        <translation>Fügen Sie Ihr E-Mail-Konto hinzu, um Nachrichten zu lesen und zu senden. Für jede gesendete Nachricht zeigt mailapp dann, ob sie jeden Empfänger erreicht hat: angenommen, zugestellt, verzögert oder fehlgeschlagen, in den eigenen Worten des empfangenden Servers.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/empty_state.py" line="53" />
        <source>&amp;Add Account…</source>
        <translation>&amp;Konto hinzufügen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/empty_state.py" line="55" />
        <source>Add account</source>
        <translation>Konto hinzufügen</translation>
    </message>
</context>
<context>
    <name>EngineRunner</name>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="72" />
        <source>connecting</source>
        <translation>verbindet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="73" />
        <source>online</source>
        <translation>online</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="74" />
        <source>syncing</source>
        <translation>synchronisiert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="75" />
        <source>offline</source>
        <translation>offline</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="76" />
        <source>needs attention</source>
        <translation>braucht Aufmerksamkeit</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="100" />
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="288" />
        <source>reconnecting</source>
        <translation>verbindet erneut</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="299" />
        <source>Syncing %1: %2 / %3</source>
        <translation>%1 wird synchronisiert: %2 / %3</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="302" />
        <source>Syncing %1…</source>
        <translation>%1 wird synchronisiert…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="340" />
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="360" />
        <source>The outbox could not be sent: %1</source>
        <translation>Der Postausgang konnte nicht gesendet werden: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="385" />
        <source>Sending: %1 / %2 KB</source>
        <translation>Senden: %1 / %2 KB</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="390" />
        <source>Sending…</source>
        <translation>Wird gesendet…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="450" />
        <source>%1 could not be sent: %2</source>
        <translation>%1 konnte nicht gesendet werden: %2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="455" />
        <source>%1 is waiting in the Outbox: %2</source>
        <translation>%1 wartet im Postausgang: %2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="483" />
        <source>1 new message in %1</source>
        <translation>1 neue Nachricht in %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/engine_runner.py" line="485" />
        <source>%2 new messages in %1</source>
        <translation>%2 neue Nachrichten in %1</translation>
    </message>
</context>
<context>
    <name>ErrorHook</name>
    <message>
        <location filename="../../mailapp/ui/error_hook.py" line="38" />
        <source>Something went wrong (%1). mailapp keeps running; the details are in the log.</source>
        <translation>Etwas ist schiefgegangen (%1). mailapp läuft weiter; die Details stehen im Protokoll.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/error_hook.py" line="79" />
        <source>Something went wrong: %1</source>
        <translation>Etwas ist schiefgegangen: %1</translation>
    </message>
</context>
<context>
    <name>FolderModel</name>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="154" />
        <source>Inbox</source>
        <translation>Posteingang</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="155" />
        <source>Drafts</source>
        <translation>Entwürfe</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="156" />
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="157" />
        <source>Outbox</source>
        <translation>Postausgang</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="158" />
        <source>Delivery Reports</source>
        <translation>Zustellberichte</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="159" />
        <source>Junk</source>
        <translation>Junk</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="160" />
        <source>Trash</source>
        <translation>Papierkorb</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="161" />
        <source>Archive</source>
        <translation>Archiv</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="244" />
        <source>Mail waiting to be sent</source>
        <translation>Nachrichten, die auf den Versand warten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="396" />
        <source>Folders</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="411" />
        <source>%1, %2 messages</source>
        <translation>%1, %2 Nachrichten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="415" />
        <source>%1, %2 unread</source>
        <translation>%1, %2 ungelesen</translation>
    </message>
</context>
<context>
    <name>FolderPane</name>
    <message>
        <location filename="../../mailapp/ui/folder_pane.py" line="462" />
        <source>Accounts and folders</source>
        <translation>Konten und Ordner</translation>
    </message>
</context>
<context>
    <name>FormatBar</name>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="199" />
        <source>Text formatting</source>
        <translation>Textformatierung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="204" />
        <source>Bold</source>
        <translation>Fett</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="204" />
        <source>B</source>
        <translation>F</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="206" />
        <source>Italic</source>
        <translation>Kursiv</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="206" />
        <source>I</source>
        <translation>K</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="209" />
        <source>Bulleted list</source>
        <translation>Aufzählung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="209" />
        <source>• List</source>
        <translation>• Liste</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="212" />
        <source>Numbered list</source>
        <translation>Nummerierte Liste</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="212" />
        <source>1. List</source>
        <translation>1. Liste</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="214" />
        <source>Link…</source>
        <translation>Link…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="216" />
        <source>Remove formatting</source>
        <translation>Formatierung entfernen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="216" />
        <source>Clear</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="297" />
        <source>Insert Link</source>
        <translation>Link einfügen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/html_editor.py" line="298" />
        <source>Link target (https://…, mailto:…):</source>
        <translation>Linkziel (https://…, mailto:…):</translation>
    </message>
</context>
<context>
    <name>IdentityPage</name>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="85" />
        <source>Your mail account</source>
        <translation>Ihr E-Mail-Konto</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="88" />
        <source>mailapp looks up your provider's server settings from your address. Nothing is saved until you press Save on the last page.</source>
        <translation>mailapp sucht die Server-Einstellungen Ihres Anbieters anhand Ihrer Adresse. Nichts wird gespeichert, bevor Sie auf der letzten Seite Speichern drücken.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="93" />
        <source>Ada Lovelace</source>
        <translation>Erika Mustermann</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="94" />
        <source>Your name</source>
        <translation>Ihr Name</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="96" />
        <source>ada@example.org</source>
        <translation>erika@example.org</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="97" />
        <source>Email address</source>
        <translation>E-Mail-Adresse</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="100" />
        <source>Password</source>
        <translation>Passwort</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="101" />
        <source>Set up &amp;manually…</source>
        <translation>&amp;Manuell einrichten…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="103" />
        <source>Set up manually, without looking up</source>
        <translation>Manuell einrichten, ohne Suche</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="105" />
        <source>Skip the lookup and type the server settings yourself.</source>
        <translation>Die Suche überspringen und die Server-Einstellungen selbst eingeben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="110" />
        <source>Problem</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="114" />
        <source>&amp;Your name:</source>
        <translation>&amp;Ihr Name:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="115" />
        <source>&amp;Email address:</source>
        <translation>&amp;E-Mail-Adresse:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="116" />
        <source>&amp;Password:</source>
        <translation>&amp;Passwort:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="118" />
        <source>Your name is shown to the people you write to.</source>
        <translation>Ihr Name wird den Personen angezeigt, denen Sie schreiben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="144" />
        <source>Enter your email address, like ada@example.org.</source>
        <translation>Geben Sie Ihre E-Mail-Adresse ein, etwa erika@example.org.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="148" />
        <source>Enter your password.</source>
        <translation>Geben Sie Ihr Passwort ein.</translation>
    </message>
</context>
<context>
    <name>InfoBar</name>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="60" />
        <source>Information bar</source>
        <translation>Informationsleiste</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="69" />
        <source>Problem</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="77" />
        <source>&amp;Details</source>
        <translation>&amp;Details</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="79" />
        <source>Show details</source>
        <translation>Details anzeigen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="87" />
        <location filename="../../mailapp/ui/info_bar.py" line="88" />
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="118" />
        <source>%1 (and 1 earlier problem)</source>
        <translation>%1 (und 1 früheres Problem)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="120" />
        <source>%1 (and %2 earlier problems)</source>
        <translation>%1 (und %2 frühere Probleme)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/info_bar.py" line="146" />
        <source>Details</source>
        <translation>Details</translation>
    </message>
</context>
<context>
    <name>MailActions</name>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="47" />
        <source>&amp;Get Mail</source>
        <translation>Nachrichten &amp;abrufen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="52" />
        <source>Get Mail</source>
        <translation>Abrufen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="56" />
        <source>&amp;Write</source>
        <translation>&amp;Verfassen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="61" />
        <source>Write</source>
        <translation>Verfassen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="65" />
        <source>&amp;Reply</source>
        <translation>&amp;Antworten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="70" />
        <source>Reply</source>
        <translation>Antworten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="74" />
        <source>Reply &amp;All</source>
        <translation>A&amp;llen antworten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="79" />
        <source>Reply All</source>
        <translation>Allen antworten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="83" />
        <source>&amp;Forward</source>
        <translation>&amp;Weiterleiten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="88" />
        <source>Forward</source>
        <translation>Weiterleiten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="92" />
        <source>&amp;Delete</source>
        <translation>&amp;Löschen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="97" />
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="101" />
        <source>Mark as &amp;Junk</source>
        <translation>Als &amp;Junk markieren</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="106" />
        <source>Junk</source>
        <translation>Junk</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="110" />
        <source>&amp;Search Messages…</source>
        <translation>Nachrichten d&amp;urchsuchen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="114" />
        <source>Search</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="117" />
        <source>Toggle &amp;Read</source>
        <translation>&amp;Gelesen-Status umschalten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="121" />
        <source>Toggle &amp;Star</source>
        <translation>&amp;Stern umschalten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="126" />
        <source>&amp;Find in Message…</source>
        <translation>In Nachricht &amp;suchen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="127" />
        <source>&amp;Undo</source>
        <translation>&amp;Rückgängig</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="130" />
        <source>&amp;Add Account…</source>
        <translation>&amp;Konto hinzufügen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="137" />
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="145" />
        <source>&amp;Reader Pane</source>
        <translation>&amp;Nachrichtenbereich</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="152" />
        <source>Reader on the Ri&amp;ght</source>
        <translation>Nachrichtenbereich &amp;rechts</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="157" />
        <source>&amp;About mailapp</source>
        <translation>&amp;Über mailapp</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="173" />
        <source>%1 — not available yet</source>
        <translation>%1 – noch nicht verfügbar</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="190" />
        <source>not available yet</source>
        <translation>noch nicht verfügbar</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/actions.py" line="192" />
        <source>%1 — %2</source>
        <translation>%1 – %2</translation>
    </message>
</context>
<context>
    <name>MailStatusBar</name>
    <message>
        <location filename="../../mailapp/ui/status_bar.py" line="17" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/status_bar.py" line="24" />
        <source>Task progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/status_bar.py" line="38" />
        <source>No account</source>
        <translation>Kein Konto</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/status_bar.py" line="40" />
        <source>1 account</source>
        <translation>1 Konto</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/status_bar.py" line="42" />
        <source>%1 accounts</source>
        <translation>%1 Konten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/status_bar.py" line="62" />
        <source>Outbox: %1</source>
        <translation>Postausgang: %1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="83" />
        <source>mailapp</source>
        <translation>mailapp</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="84" />
        <source>mailapp main window</source>
        <translation>mailapp-Hauptfenster</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="159" />
        <location filename="../../mailapp/ui/main_window.py" line="161" />
        <source>Main toolbar</source>
        <translation>Hauptsymbolleiste</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="174" />
        <source>Menu bar</source>
        <translation>Menüleiste</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="176" />
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="177" />
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="178" />
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="179" />
        <source>&amp;Message</source>
        <translation>&amp;Nachricht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="188" />
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="203" />
        <source>Account &amp;Settings…</source>
        <translation>Konten-&amp;Einstellungen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="288" />
        <source>Account %1 added.</source>
        <translation>Konto %1 hinzugefügt.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="370" />
        <source>add an account first</source>
        <translation>zuerst ein Konto hinzufügen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="374" />
        <location filename="../../mailapp/ui/main_window.py" line="630" />
        <source>select a message first</source>
        <translation>zuerst eine Nachricht auswählen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="410" />
        <source>Choose a folder</source>
        <translation>Wählen Sie einen Ordner</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="412" />
        <source>Nothing waiting to be sent</source>
        <translation>Nichts wartet auf den Versand</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="415" />
        <source>Not downloaded yet: Get Mail fetches this folder.</source>
        <translation>Noch nicht heruntergeladen: Nachrichten abrufen lädt diesen Ordner.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="418" />
        <location filename="../../mailapp/ui/main_window.py" line="469" />
        <source>No messages</source>
        <translation>Keine Nachrichten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="455" />
        <source>No message in any folder matches.</source>
        <translation>Keine Nachricht in irgendeinem Ordner passt.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="624" />
        <source>Getting mail…</source>
        <translation>Nachrichten werden abgerufen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="632" />
        <source>the message is in Junk already</source>
        <translation>die Nachricht ist schon in Junk</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="635" />
        <source>this account has no Junk folder</source>
        <translation>dieses Konto hat keinen Junk-Ordner</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="647" />
        <source>This account has no Junk folder.</source>
        <translation>Dieses Konto hat keinen Junk-Ordner.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="659" />
        <source>1 message moved to %2.</source>
        <translation>1 Nachricht nach %2 verschoben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="661" />
        <source>%1 messages moved to %2.</source>
        <translation>%1 Nachrichten nach %2 verschoben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="700" />
        <source>This message cannot be read.</source>
        <translation>Diese Nachricht kann nicht gelesen werden.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="752" />
        <source>-------- Forwarded Message --------</source>
        <translation>-------- Weitergeleitete Nachricht --------</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="753" />
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="754" />
        <source>Date</source>
        <translation>Datum</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="755" />
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="756" />
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="757" />
        <source>Cc</source>
        <translation>CC</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="766" />
        <source>On %1, %2 wrote:</source>
        <translation>Am %1 schrieb %2:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="767" />
        <source>%1 wrote:</source>
        <translation>%1 schrieb:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="866" />
        <source>&amp;Retry</source>
        <translation>&amp;Wiederholen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="920" />
        <source>About mailapp</source>
        <translation>Über mailapp</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/main_window.py" line="923" />
        <source>&lt;b&gt;mailapp&lt;/b&gt;&lt;br&gt;An email client that tells you whether your mail arrived.</source>
        <translation>&lt;b&gt;mailapp&lt;/b&gt;&lt;br&gt;Ein E-Mail-Programm, das Ihnen sagt, ob Ihre Nachrichten angekommen sind.</translation>
    </message>
</context>
<context>
    <name>MessageBrowser</name>
    <message>
        <location filename="../../mailapp/ui/message_browser.py" line="35" />
        <source>Message body</source>
        <translation>Nachrichtentext</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_browser.py" line="126" />
        <source>Careful: the text shows %1, but this link leads to %2 (%3)</source>
        <translation>Vorsicht: Der Text zeigt %1, aber dieser Link führt zu %2 (%3)</translation>
    </message>
</context>
<context>
    <name>MessageListModel</name>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="250" />
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="251" />
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="252" />
        <source>Date</source>
        <translation>Datum</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="253" />
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="254" />
        <source>Delivery</source>
        <translation>Zustellung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="256" />
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="435" />
        <location filename="../../mailapp/ui/message_list.py" line="542" />
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="538" />
        <source>%1 bytes</source>
        <translation>%1 Bytes</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="544" />
        <source>unread</source>
        <translation>ungelesen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="546" />
        <source>starred</source>
        <translation>mit Stern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="548" />
        <source>has attachments</source>
        <translation>mit Anhängen</translation>
    </message>
</context>
<context>
    <name>MessageListView</name>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="662" />
        <source>Message list</source>
        <translation>Nachrichtenliste</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="695" />
        <source>No messages</source>
        <translation>Keine Nachrichten</translation>
    </message>
</context>
<context>
    <name>Notifications</name>
    <message>
        <location filename="../../mailapp/ui/notifications.py" line="118" />
        <source>&amp;Show</source>
        <translation>&amp;Anzeigen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/notifications.py" line="138" />
        <source>Delivery failed</source>
        <translation>Zustellung fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/notifications.py" line="138" />
        <source>Delivery delayed</source>
        <translation>Zustellung verzögert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/notifications.py" line="140" />
        <source>%1 delivery problems</source>
        <translation>%1 Zustellprobleme</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/notifications.py" line="143" />
        <source>and %1 more</source>
        <translation>und %1 weitere</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/notifications.py" line="148" />
        <source>New mail</source>
        <translation>Neue Nachrichten</translation>
    </message>
</context>
<context>
    <name>OptionsForm</name>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="55" />
        <source>Ask for &amp;delivery reports on new messages</source>
        <translation>Für neue Nachrichten &amp;Zustellberichte anfordern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="57" />
        <source>Ask for &amp;read receipts on new messages</source>
        <translation>Für neue Nachrichten &amp;Lesebestätigungen anfordern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="59" />
        <source>When a sender asks for a read receipt</source>
        <translation>Wenn ein Absender eine Lesebestätigung anfordert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="61" />
        <source>Ask me each time</source>
        <translation>Jedes Mal fragen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="62" />
        <source>Never send one</source>
        <translation>Nie senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="63" />
        <source>Always send one</source>
        <translation>Immer senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="67" />
        <source>&amp;Load remote images and content in messages</source>
        <translation>&amp;Externe Bilder und Inhalte in Nachrichten laden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="70" />
        <source>Folder for delivery reports</source>
        <translation>Ordner für Zustellberichte</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="71" />
        <source>Delivery Reports</source>
        <translation>Zustellberichte</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="74" />
        <source> min</source>
        <translation> Min.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="75" />
        <source>Check for new mail every, in minutes</source>
        <translation>Alle wie viele Minuten nach neuen Nachrichten sehen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="77" />
        <source>Keep POP3 messages on the server</source>
        <translation>POP3-Nachrichten auf dem Server behalten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="78" />
        <source>Forever</source>
        <translation>Für immer</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="79" />
        <source>Delete after download</source>
        <translation>Nach dem Herunterladen löschen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="80" />
        <source>For a number of days</source>
        <translation>Für eine Anzahl Tage</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="84" />
        <source> days</source>
        <translation> Tage</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="85" />
        <source>Days to keep POP3 messages on the server</source>
        <translation>Tage, die POP3-Nachrichten auf dem Server bleiben</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="96" />
        <source>File delivery reports &amp;in:</source>
        <translation>Zustellberichte able&amp;gen in:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="98" />
        <source>&amp;When a sender asks for a read receipt:</source>
        <translation>&amp;Wenn ein Absender eine Lesebestätigung anfordert:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="100" />
        <source>Check for new mail &amp;every:</source>
        <translation>Nach neuen Nachrichten sehen &amp;alle:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/accounts_settings.py" line="101" />
        <source>&amp;Keep POP3 mail on the server:</source>
        <translation>POP3-Nachrichten auf dem Server &amp;behalten:</translation>
    </message>
</context>
<context>
    <name>OutboxView</name>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="69" />
        <source>It is being sent right now.</source>
        <translation>Sie wird gerade gesendet.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="74" />
        <source>It may already have been sent: the connection broke after the message was handed to the server, before the server confirmed it.</source>
        <translation>Sie wurde womöglich schon gesendet: Die Verbindung brach ab, nachdem die Nachricht dem Server übergeben war und bevor er sie bestätigte.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="78" />
        <source>The server already took it for some recipients, so it cannot be changed any more.</source>
        <translation>Der Server hat sie für einige Empfänger schon angenommen, daher lässt sie sich nicht mehr ändern.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="84" />
        <source>It was queued without its draft (by an older version of mailapp), so it cannot be opened for editing.</source>
        <translation>Sie wurde ohne ihren Entwurf in den Postausgang gelegt (von einer älteren mailapp-Version) und lässt sich daher nicht zum Bearbeiten öffnen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="94" />
        <source>Being sent now.</source>
        <translation>Wird gerade gesendet.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="99" />
        <source>Waiting to be sent.</source>
        <translation>Wartet auf den Versand.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="100" />
        <source>Waiting for the next attempt.</source>
        <translation>Wartet auf den nächsten Versuch.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="107" />
        <source>soon</source>
        <translation>bald</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="110" />
        <source>needs you</source>
        <translation>wartet auf Sie</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="112" />
        <source>only if you say so</source>
        <translation>nur auf Ihre Anweisung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="124" />
        <source>Last reply%1: %2</source>
        <translation>Letzte Antwort%1: %2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="135" />
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="135" />
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="135" />
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="135" />
        <source>Reason</source>
        <translation>Grund</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="135" />
        <source>Next try</source>
        <translation>Nächster Versuch</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="186" />
        <source>State: %1</source>
        <translation>Status: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="190" />
        <location filename="../../mailapp/ui/outbox_view.py" line="380" />
        <location filename="../../mailapp/ui/outbox_view.py" line="477" />
        <location filename="../../mailapp/ui/outbox_view.py" line="492" />
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="221" />
        <source>Outbox</source>
        <translation>Postausgang</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="233" />
        <source>Outbox messages</source>
        <translation>Nachrichten im Postausgang</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="253" />
        <source>The Outbox is empty: everything you wrote has been handed to the server.</source>
        <translation>Der Postausgang ist leer: Alles, was Sie geschrieben haben, wurde an den Server übergeben.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="285" />
        <location filename="../../mailapp/ui/outbox_view.py" line="308" />
        <location filename="../../mailapp/ui/outbox_view.py" line="408" />
        <source>&amp;Retry now</source>
        <translation>&amp;Jetzt erneut versuchen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="288" />
        <location filename="../../mailapp/ui/outbox_view.py" line="310" />
        <source>&amp;Edit…</source>
        <translation>&amp;Bearbeiten…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="290" />
        <source>Edit</source>
        <translation>Bearbeiten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="292" />
        <location filename="../../mailapp/ui/outbox_view.py" line="312" />
        <source>&amp;Delete…</source>
        <translation>&amp;Löschen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="294" />
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="382" />
        <source>%1: “%2” to %3</source>
        <translation>%1: „%2“ an %3</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="385" />
        <source>Reason: %1</source>
        <translation>Grund: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="408" />
        <source>&amp;Send again…</source>
        <translation>Erneut &amp;senden…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="409" />
        <source>Send again</source>
        <translation>Erneut senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="409" />
        <source>Retry now</source>
        <translation>Jetzt erneut versuchen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="411" />
        <source>It may already have arrived: you decide, after a warning.</source>
        <translation>Sie ist möglicherweise schon angekommen: Sie entscheiden, nach einer Warnung.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="413" />
        <source>Try to send it now instead of waiting for the next attempt.</source>
        <translation>Jetzt zu senden versuchen, statt auf den nächsten Versuch zu warten.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="419" />
        <source>There is no window to open a composer in.</source>
        <translation>Es gibt kein Fenster, in dem die Nachricht zum Bearbeiten geöffnet werden kann.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="423" />
        <source>Take it out of the Outbox and open it in the composer; it is not sent until you send it again, and closing the composer keeps it in Drafts.</source>
        <translation>Aus dem Postausgang nehmen und im Verfassen-Fenster öffnen; sie wird erst gesendet, wenn Sie sie erneut senden, und beim Schließen bleibt sie bei den Entwürfen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="427" />
        <location filename="../../mailapp/ui/outbox_view.py" line="434" />
        <source>Cannot be edited: %1</source>
        <translation>Kann nicht bearbeitet werden: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="445" />
        <source>1 attempt so far</source>
        <translation>bisher 1 Versuch</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="447" />
        <source>%1 attempts so far</source>
        <translation>bisher %1 Versuche</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="450" />
        <source>Next attempt at %1 (%2); it is also tried when the network comes back.</source>
        <translation>Nächster Versuch um %1 (%2); sie wird auch versucht, sobald das Netzwerk zurück ist.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="455" />
        <source>It stays here until you retry, edit or delete it.</source>
        <translation>Sie bleibt hier, bis Sie sie erneut versuchen, bearbeiten oder löschen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="458" />
        <source>The connection broke after the message went out and before the server confirmed it: it may already have arrived. mailapp never sends it again on its own.</source>
        <translation>Die Verbindung brach ab, nachdem die Nachricht hinausging und bevor der Server sie bestätigte: Sie ist möglicherweise schon angekommen. mailapp sendet sie nie von selbst erneut.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="472" />
        <source>Send this message again?</source>
        <translation>Diese Nachricht erneut senden?</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="474" />
        <source>“%1” may already have arrived: the connection broke right after it went out, before the server confirmed it. Sending it again can give the recipients two copies.</source>
        <translation>„%1“ ist möglicherweise schon angekommen: Die Verbindung brach direkt nach dem Versand ab, bevor der Server sie bestätigte. Erneutes Senden kann den Empfängern zwei Kopien bringen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="478" />
        <source>&amp;Send again</source>
        <translation>Erneut &amp;senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="490" />
        <source>Delete this message?</source>
        <translation>Diese Nachricht löschen?</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="491" />
        <source>“%1” will not be sent and is removed from the Outbox.</source>
        <translation>„%1“ wird nicht gesendet und aus dem Postausgang entfernt.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outbox_view.py" line="494" />
        <source>&amp;Delete</source>
        <translation>&amp;Löschen</translation>
    </message>
</context>
<context>
    <name>OutgoingMail</name>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="157" />
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="164" />
        <location filename="../../mailapp/ui/outgoing.py" line="189" />
        <location filename="../../mailapp/ui/outgoing.py" line="208" />
        <source>Sending %1…</source>
        <translation>%1 wird gesendet…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="173" />
        <source>Not sent: %1</source>
        <translation>Nicht gesendet: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="176" />
        <source>The message %1 could not be put in the outbox: %2</source>
        <translation>Die Nachricht %1 konnte nicht in den Postausgang gelegt werden: %2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="201" />
        <source>Sending %1 undone; it is open again.</source>
        <translation>Senden von %1 rückgängig gemacht; sie ist wieder geöffnet.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="206" />
        <source>Too late to undo: the message is being sent.</source>
        <translation>Zu spät zum Rückgängigmachen: Die Nachricht wird gerade gesendet.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="214" />
        <source>Sending %1: connecting…</source>
        <translation>%1 wird gesendet: Verbindung wird aufgebaut…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="218" />
        <source>Sending %1: %2%</source>
        <translation>%1 wird gesendet: %2 %</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="231" />
        <location filename="../../mailapp/ui/outgoing.py" line="257" />
        <source>Waiting to send: %1</source>
        <translation>Wartet auf den Versand: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="239" />
        <source>Sent to server</source>
        <translation>An Server übergeben</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="241" />
        <source>Sent to server; refused for %1</source>
        <translation>An Server übergeben; abgelehnt für %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="243" />
        <source>The server refused %1 for the message %2.</source>
        <translation>Der Server hat %1 für die Nachricht %2 abgelehnt.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="249" />
        <source>Failed: %1</source>
        <translation>Fehlgeschlagen: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="251" />
        <source>The message %1 was not sent: %2</source>
        <translation>Die Nachricht %1 wurde nicht gesendet: %2</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="254" />
        <source>It stays in the Outbox; send it again from there.</source>
        <translation>Sie bleibt im Postausgang; senden Sie sie von dort erneut.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="258" />
        <source>another attempt is under way</source>
        <translation>ein weiterer Versuch läuft</translation>
    </message>
</context>
<context>
    <name>ReaderPane</name>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="142" />
        <source>Message reader</source>
        <translation>Nachrichtenbereich</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="158" />
        <location filename="../../mailapp/ui/reader_pane.py" line="163" />
        <location filename="../../mailapp/ui/reader_pane.py" line="212" />
        <source>No message selected</source>
        <translation>Keine Nachricht ausgewählt</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="268" />
        <source>The attachments can be saved once the Sent copy is synced.</source>
        <translation>Die Anhänge lassen sich speichern, sobald die Kopie in „Gesendet“ abgeglichen ist.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="282" />
        <source>⚠ A link shows “%1” but leads to %2. Check before you click.</source>
        <translation>⚠ Ein Link zeigt „%1“, führt aber zu %2. Prüfen Sie ihn, bevor Sie klicken.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="287" />
        <source>(%1 such links)</source>
        <translation>(%1 solche Links)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="380" />
        <source>Save Attachment</source>
        <translation>Anhang speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="398" />
        <source>Save All Attachments In</source>
        <translation>Alle Anhänge speichern in</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="412" />
        <source>Saved %1</source>
        <translation>%1 gespeichert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="417" />
        <source>Saved %1 attachments in %2</source>
        <translation>%1 Anhänge in %2 gespeichert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="428" />
        <source>%1 could run a program, so it is not opened from here. Save it and open it yourself if you trust it.</source>
        <translation>%1 könnte ein Programm ausführen und wird daher nicht von hier geöffnet. Speichern Sie die Datei und öffnen Sie sie selbst, wenn Sie ihr vertrauen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="452" />
        <source>Open a Suspicious Link?</source>
        <translation>Verdächtigen Link öffnen?</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="454" />
        <source>The link text shows %1, but it leads to %2.</source>
        <translation>Der Linktext zeigt %1, aber er führt zu %2.</translation>
    </message>
</context>
<context>
    <name>RecipientChip</name>
    <message>
        <location filename="../../mailapp/ui/recipient_field.py" line="88" />
        <source>Remove %1</source>
        <translation>%1 entfernen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/recipient_field.py" line="95" />
        <source>Not a usable address: %1</source>
        <translation>Keine brauchbare Adresse: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/recipient_field.py" line="96" />
        <source>%1, not a usable address</source>
        <translation>%1, keine brauchbare Adresse</translation>
    </message>
</context>
<context>
    <name>RemoteContentBar</name>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="31" />
        <source>Remote content</source>
        <translation>Externe Inhalte</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="37" />
        <source>&amp;Load once</source>
        <translation>Einmal &amp;laden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="39" />
        <source>Load remote images once</source>
        <translation>Externe Bilder einmal laden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="55" />
        <source>A remote image was blocked to protect your privacy.</source>
        <translation>Ein externes Bild wurde zum Schutz Ihrer Privatsphäre blockiert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="57" />
        <source>%1 remote images were blocked to protect your privacy.</source>
        <translation>%1 externe Bilder wurden zum Schutz Ihrer Privatsphäre blockiert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="62" />
        <source>They would have been loaded from: %1</source>
        <translation>Sie wären geladen worden von: %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="70" />
        <source>Always for %1</source>
        <translation>Immer für %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="76" />
        <source>Loading remote images…</source>
        <translation>Externe Bilder werden geladen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="89" />
        <source>%1 offered only over unencrypted http, which is never fetched (anyone on the way could watch or change it)</source>
        <translation>%1 nur über unverschlüsseltes http angeboten, das nie abgerufen wird (jeder auf dem Weg könnte mitlesen oder ändern)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="95" />
        <source>%1 could not be loaded</source>
        <translation>%1 konnte nicht geladen werden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/remote_content_bar.py" line="96" />
        <source>Images not shown: %1.</source>
        <translation>Nicht angezeigte Bilder: %1.</translation>
    </message>
</context>
<context>
    <name>SearchField</name>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="591" />
        <source>Search messages</source>
        <translation>Nachrichten durchsuchen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="592" />
        <source>Search  (from:  subject:  has:attachment …)</source>
        <translation>Suchen  (from:  subject:  has:attachment …)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="595" />
        <source>Words search subject, people and text. Also from:, to:, subject:, before:2024-05-01, after:, has:attachment, is:unread, is:starred. Esc clears.</source>
        <translation>Wörter durchsuchen Betreff, Personen und Text. Außerdem from:, to:, subject:, before:2024-05-01, after:, has:attachment, is:unread, is:starred. Esc leert das Feld.</translation>
    </message>
</context>
<context>
    <name>SearchScope</name>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="636" />
        <source>Search in</source>
        <translation>Suchen in</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="637" />
        <source>Search the shown folder, or all folders of all accounts</source>
        <translation>Den angezeigten Ordner durchsuchen oder alle Ordner aller Konten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="638" />
        <source>This folder</source>
        <translation>Dieser Ordner</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/message_list.py" line="639" />
        <source>All folders</source>
        <translation>Alle Ordner</translation>
    </message>
</context>
<context>
    <name>SendStatus</name>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="71" />
        <source>&amp;Undo</source>
        <translation>&amp;Rückgängig</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="73" />
        <source>Undo sending</source>
        <translation>Senden rückgängig machen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/outgoing.py" line="74" />
        <source>Take the message back out of the outbox</source>
        <translation>Die Nachricht wieder aus dem Postausgang nehmen</translation>
    </message>
</context>
<context>
    <name>SentView</name>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="91" />
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="91" />
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="91" />
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="91" />
        <source>Delivery</source>
        <translation>Zustellung</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="148" />
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="176" />
        <location filename="../../mailapp/ui/sent_view.py" line="191" />
        <source>Sent messages</source>
        <translation>Gesendete Nachrichten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="209" />
        <source>Nothing sent yet. Messages you send appear here, with what became of each one: delivered, delayed, failed, or read.</source>
        <translation>Noch nichts gesendet. Gesendete Nachrichten erscheinen hier, mit dem, was aus jeder geworden ist: zugestellt, verzögert, fehlgeschlagen oder gelesen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="229" />
        <source>Select a sent message to see what became of it.</source>
        <translation>Wählen Sie eine gesendete Nachricht, um zu sehen, was aus ihr geworden ist.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/sent_view.py" line="450" />
        <source>The original report cannot be shown: %1</source>
        <translation>Der Originalbericht kann nicht angezeigt werden: %1</translation>
    </message>
</context>
<context>
    <name>ServerBox</name>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="48" />
        <source>mail.example.org</source>
        <translation>mail.example.org</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="52" />
        <source>SSL/TLS</source>
        <translation>SSL/TLS</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="53" />
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="55" />
        <source>same as the email address</source>
        <translation>wie die E-Mail-Adresse</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="71" />
        <source>server name</source>
        <translation>Servername</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="72" />
        <source>port</source>
        <translation>Port</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="73" />
        <source>connection security</source>
        <translation>Verbindungssicherheit</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="74" />
        <source>username</source>
        <translation>Benutzername</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="111" />
        <source>Enter the %1 server's name.</source>
        <translation>Geben Sie den Namen des %1 ein.</translation>
    </message>
</context>
<context>
    <name>ServerPage</name>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="263" />
        <source>Server settings</source>
        <translation>Server-Einstellungen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="265" />
        <source>Check or change the settings. Test logs in to both servers and saves nothing.</source>
        <translation>Prüfen oder ändern Sie die Einstellungen. Testen meldet sich bei beiden Servern an und speichert nichts.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="272" />
        <source>Incoming mail</source>
        <translation>Posteingangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="275" />
        <source>Incoming server suggestions</source>
        <translation>Vorschläge für den Posteingangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="277" />
        <location filename="../../mailapp/ui/account_wizard.py" line="296" />
        <source>Found:</source>
        <translation>Gefunden:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="279" />
        <source>IMAP</source>
        <translation>IMAP</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="280" />
        <source>POP3</source>
        <translation>POP3</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="281" />
        <source>Incoming protocol</source>
        <translation>Protokoll für eingehende Nachrichten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="283" />
        <source>&amp;Protocol:</source>
        <translation>&amp;Protokoll:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="285" />
        <source>Incoming</source>
        <translation>Eingehend</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="286" />
        <source>Se&amp;rver:</source>
        <translation>Se&amp;rver:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="286" />
        <source>P&amp;ort:</source>
        <translation>P&amp;ort:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="286" />
        <source>Securit&amp;y:</source>
        <translation>Sic&amp;herheit:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="286" />
        <source>&amp;Username:</source>
        <translation>&amp;Benutzername:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="291" />
        <source>Outgoing mail (SMTP)</source>
        <translation>Postausgangs-Server (SMTP)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="294" />
        <source>Outgoing server suggestions</source>
        <translation>Vorschläge für den Postausgangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="298" />
        <source>Outgoing</source>
        <translation>Ausgehend</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="299" />
        <source>Ser&amp;ver:</source>
        <translation>Ser&amp;ver:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="299" />
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="299" />
        <source>Security:</source>
        <translation>Sicherheit:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="299" />
        <source>Username:</source>
        <translation>Benutzername:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="301" />
        <source>same as incoming</source>
        <translation>wie eingehend</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="302" />
        <source>Use a &amp;different SMTP password</source>
        <translation>Ein an&amp;deres SMTP-Passwort verwenden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="303" />
        <source>Outgoing server has its own password</source>
        <translation>Der Postausgangs-Server hat ein eigenes Passwort</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="306" />
        <source>Outgoing password</source>
        <translation>Passwort für den Postausgangs-Server</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="307" />
        <source>SMTP password</source>
        <translation>SMTP-Passwort</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="311" />
        <source>SMTP pass&amp;word:</source>
        <translation>SMTP-Pass&amp;wort:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="318" />
        <source>Brows&amp;e…</source>
        <translation>Durch&amp;suchen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="322" />
        <source>Certificate settings</source>
        <translation>Zertifikat-Einstellungen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="323" />
        <source>Show the certificate settings</source>
        <translation>Die Zertifikat-Einstellungen anzeigen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="331" />
        <location filename="../../mailapp/ui/account_wizard.py" line="540" />
        <source>&amp;Test</source>
        <translation>&amp;Testen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="333" />
        <location filename="../../mailapp/ui/account_wizard.py" line="541" />
        <source>Test the settings</source>
        <translation>Die Einstellungen testen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="337" />
        <source>Trust This Certificate for This &amp;Account</source>
        <translation>Diesem Zertifikat für dieses &amp;Konto vertrauen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="339" />
        <source>Test logs in to both servers without saving anything.</source>
        <translation>Testen meldet sich bei beiden Servern an, ohne etwas zu speichern.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="384" />
        <source>same as the email address</source>
        <translation>wie die E-Mail-Adresse</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="406" />
        <source>Not found: enter the incoming server.</source>
        <translation>Nicht gefunden: Geben Sie den Posteingangs-Server ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="410" />
        <source>Not found: enter the outgoing server.</source>
        <translation>Nicht gefunden: Geben Sie den Postausgangs-Server ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="418" />
        <source>Found by: %1.</source>
        <translation>Gefunden über: %1.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="422" />
        <source>Its certificate is not trusted; Test shows its fingerprint.</source>
        <translation>Seinem Zertifikat wird nicht vertraut; Testen zeigt seinen Fingerabdruck.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="425" />
        <source>This server lists %1 sign-in; mailapp signs in with a password.</source>
        <translation>Dieser Server nennt die Anmeldung über %1; mailapp meldet sich mit einem Passwort an.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="459" />
        <source>incoming</source>
        <translation>Posteingangs-Servers</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="460" />
        <source>outgoing</source>
        <translation>Postausgangs-Servers</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="476" />
        <source>Enter the password on the first page.</source>
        <translation>Geben Sie das Passwort auf der ersten Seite ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="482" />
        <source>Enter the outgoing server's password.</source>
        <translation>Geben Sie das Passwort des Postausgangs-Servers ein.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="525" />
        <source>Testing…</source>
        <translation>Wird getestet…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="537" />
        <source>S&amp;top Test</source>
        <translation>Test ab&amp;brechen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="538" />
        <source>Stop the test</source>
        <translation>Den Test abbrechen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="549" />
        <source>Test stopped.</source>
        <translation>Test abgebrochen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="552" />
        <source>The test failed.</source>
        <translation>Der Test ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="562" />
        <source>Both servers accepted the login. Next to save the account.</source>
        <translation>Beide Server haben die Anmeldung akzeptiert. Weiter, um das Konto zu speichern.</translation>
    </message>
</context>
<context>
    <name>SummaryPage</name>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="587" />
        <source>Ready to save</source>
        <translation>Bereit zum Speichern</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="588" />
        <source>Check the summary, name the account and press Save.</source>
        <translation>Prüfen Sie die Zusammenfassung, benennen Sie das Konto und drücken Sie Speichern.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="590" />
        <source>Account name</source>
        <translation>Kontoname</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="591" />
        <source>same as the email address</source>
        <translation>wie die E-Mail-Adresse</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="595" />
        <source>Account na&amp;me:</source>
        <translation>Konto&amp;name:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="597" />
        <source>You:</source>
        <translation>Sie:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="598" />
        <source>Incoming:</source>
        <translation>Eingehend:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="599" />
        <source>Outgoing:</source>
        <translation>Ausgehend:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="600" />
        <source>Certificates:</source>
        <translation>Zertifikate:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="601" />
        <source>Test:</source>
        <translation>Test:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="602" />
        <source>Passwords:</source>
        <translation>Passwörter:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="612" />
        <source>Where passwords are kept</source>
        <translation>Wo Passwörter gespeichert werden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="614" />
        <source>Save status</source>
        <translation>Speicherstatus</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="637" />
        <source>, its own password</source>
        <translation>, eigenes Passwort</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="642" />
        <source>trusted for this account only: SHA-256 %1</source>
        <translation>nur für dieses Konto vertraut: SHA-256 %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="647" />
        <source>CA file %1</source>
        <translation>CA-Datei %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="649" />
        <source>checked against the system's authorities</source>
        <translation>gegen die Zertifizierungsstellen des Systems geprüft</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="653" />
        <source>not run for these settings. You can save now and test later.</source>
        <translation>für diese Einstellungen nicht ausgeführt. Sie können jetzt speichern und später testen.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="655" />
        <source>passed: both servers accepted the login.</source>
        <translation>bestanden: Beide Server haben die Anmeldung akzeptiert.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="658" />
        <source>failed. You can save anyway and correct the settings later in Account Settings.</source>
        <translation>fehlgeschlagen. Sie können trotzdem speichern und die Einstellungen später in den Konten-Einstellungen korrigieren.</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="663" />
        <source>kept for this session only</source>
        <translation>nur für diese Sitzung gespeichert</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="668" />
        <source>kept in %1</source>
        <translation>gespeichert in %1</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/account_wizard.py" line="675" />
        <source>%1 %2:%3, %4, user %5</source>
        <translation>%1 %2:%3, %4, Benutzer %5</translation>
    </message>
</context>
<context>
    <name>TrustBox</name>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="120" />
        <source>Certificates (optional)</source>
        <translation>Zertifikate (optional)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="124" />
        <source>the system's trusted authorities</source>
        <translation>die vertrauenswürdigen Zertifizierungsstellen des Systems</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="125" />
        <source>Extra trusted certificate file</source>
        <translation>Zusätzliche vertrauenswürdige Zertifikatsdatei</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="126" />
        <source>&amp;Browse…</source>
        <translation>&amp;Durchsuchen…</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="127" />
        <source>Choose certificate file</source>
        <translation>Zertifikatsdatei wählen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="133" />
        <source>SHA-256 of the server certificate</source>
        <translation>SHA-256 des Serverzertifikats</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="134" />
        <source>Pinned certificate fingerprint</source>
        <translation>Festgelegter Zertifikat-Fingerabdruck</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="135" />
        <source>&amp;CA file:</source>
        <translation>&amp;CA-Datei:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="137" />
        <source>Pinned &amp;fingerprint:</source>
        <translation>Festgelegter &amp;Fingerabdruck:</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="145" />
        <source>Choose a certificate file</source>
        <translation>Eine Zertifikatsdatei wählen</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="147" />
        <source>Certificates (*.pem *.crt *.cer)</source>
        <translation>Zertifikate (*.pem *.crt *.cer)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="147" />
        <source>All files (*)</source>
        <translation>Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/server_fields.py" line="167" />
        <source>The certificate file %1 does not exist.</source>
        <translation>Die Zertifikatsdatei %1 existiert nicht.</translation>
    </message>
</context>
<context>
    <name>WarningBar</name>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="113" />
        <source>Problem with the message</source>
        <translation>Problem mit der Nachricht</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="119" />
        <source>Send &amp;Anyway</source>
        <translation>&amp;Trotzdem senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="121" />
        <source>Send anyway</source>
        <translation>Trotzdem senden</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="123" />
        <source>&amp;Keep Editing</source>
        <translation>&amp;Weiter bearbeiten</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/composer_window.py" line="125" />
        <source>Keep editing</source>
        <translation>Weiter bearbeiten</translation>
    </message>
</context>
<context>
    <name>_Headers</name>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="81" />
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="82" />
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="83" />
        <source>Cc</source>
        <translation>Kopie (CC)</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="84" />
        <source>Date</source>
        <translation>Datum</translation>
    </message>
    <message>
        <location filename="../../mailapp/ui/reader_pane.py" line="103" />
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
</context>
</TS>
