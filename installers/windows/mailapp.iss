; Inno Setup 6 script for mailapp on Windows: a per-user install (no administrator rights)
; with a Start-menu entry, the mailto: link registration and an uninstaller.
;
; installers/build.py runs it after the PyInstaller build when `iscc` is on PATH, passing
;   /DAppVersion=0.1.0 /DBundleDir=<repo>\dist\mailapp /DOutputDir=<repo>\dist
;   /DSetupIcon=<repo>\build\icons\mailapp.ico
; By hand, from the repository root:  iscc /DAppVersion=0.1.0 installers\windows\mailapp.iss

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\mailapp"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "mailapp"
#define AppExe "mailapp.exe"
; The ProgID our mailto: association points to (Default Apps lists it by this name).
#define ProgId "mailapp.Url.mailto"
#define CapabilitiesKey "Software\mailapp\Capabilities"

[Setup]
; Never change AppId: it is how Windows knows an update from a second program.
AppId={{6F1C2B9E-3D4A-4E8B-9C71-2A5D8E0F4B13}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The mailapp developers
AppComments=Email client that shows whether your mail arrived
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; Tell Explorer that URL associations changed (SHChangeNotify) after install and uninstall.
ChangesAssociations=yes
CloseApplications=yes
Uninstallable=yes
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
#ifdef SetupIcon
SetupIconFile={#SetupIcon}
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "mailto"; Description: "Open &mailto: links with mailapp"; GroupDescription: "Integration:"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The PyInstaller one-folder bundle: mailapp.exe (window), mailapp-cli.exe (command line).
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Email that tells you whether it arrived"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; --- The ProgID: what "open a mailto: link with mailapp" runs. Ours alone: removed on uninstall.
Root: HKCU; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "mailapp mailto: link"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

; --- Capabilities + RegisteredApplications: lists mailapp under Settings > Default apps, where
; the person picks the mailto: handler (Windows 8+ ignores programs that set it themselves).
Root: HKCU; Subkey: "Software\mailapp"; Flags: uninsdeletekeyifempty
Root: HKCU; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKCU; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationDescription"; ValueData: "Email client that shows whether your mail arrived"
Root: HKCU; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationIcon"; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "{#CapabilitiesKey}\URLAssociations"; ValueType: string; ValueName: "mailto"; ValueData: "{#ProgId}"
Root: HKCU; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "{#AppName}"; ValueData: "{#CapabilitiesKey}"; Flags: uninsdeletevalue

; --- The mailto scheme itself under HKCU\Software\Classes\mailto: used where no default was
; chosen in Settings, and by programs that read the class directly. Removed on uninstall only
; while it still points to us (see [Code]); another program may have taken it since.
Root: HKCU; Subkey: "Software\Classes\mailto"; ValueType: string; ValueName: ""; ValueData: "URL:MailTo Protocol"; Tasks: mailto
Root: HKCU; Subkey: "Software\Classes\mailto"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Tasks: mailto
Root: HKCU; Subkey: "Software\Classes\mailto\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Tasks: mailto
Root: HKCU; Subkey: "Software\Classes\mailto\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: mailto

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; The uninstaller removes the program and the registry entries above; the profile (mail,
; settings, in the user's AppData) stays: it is the person's data.

[Code]
const
  MailtoKey = 'Software\Classes\mailto';

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Command: String;
begin
  if CurUninstallStep = usUninstall then
  begin
    if RegQueryStringValue(HKCU, MailtoKey + '\shell\open\command', '', Command) and
       (Pos(Lowercase(ExpandConstant('{app}\{#AppExe}')), Lowercase(Command)) > 0) then
      RegDeleteKeyIncludingSubkeys(HKCU, MailtoKey);
  end;
end;
