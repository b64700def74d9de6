; Inno Setup 6 script: Windows installer for Prima Viewer around the PyInstaller onedir bundle.
;
; Build on Windows (see installers/README.md):
;   .venv\Scripts\python -m PyInstaller --noconfirm --distpath build\pyinstaller\dist ^
;       --workpath build\pyinstaller\work installers\prima_viewer.spec
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installers\windows\prima_viewer.iss
; Output: dist\prima-viewer-<version>-windows-x86_64-setup.exe
;
; No administrator rights are needed: by default the setup installs for the current user into
; %LOCALAPPDATA%\Programs\Prima Viewer; "Install for all users" (or /ALLUSERS) asks for elevation and
; installs into Program Files. User data (%LOCALAPPDATA%\prima-viewer: imported models, caches,
; settings, logs) is kept on uninstall unless the user agrees to delete it.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Prima Viewer"
#define AppExe "prima-viewer.exe"
#define Bundle "..\..\build\pyinstaller\dist\prima-viewer"

[Setup]
AppId={{218559C5-3F57-4361-BE55-C19404737D5F}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Prima Viewer contributors
AppComments=Brain MRI viewer with the Prima foundation model. Research use, not for clinical decisions.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile=..\..\resources\licenses\PRIMA_VIEWER_LICENSE.txt
OutputDir=..\..\dist
OutputBaseFilename=prima-viewer-{#AppVersion}-windows-x86_64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole onedir bundle: prima-viewer.exe and _internal\ (Python, Qt, VTK, torch, resources, licences).
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Research use, not for clinical decisions."
Name: "{autoprograms}\{#AppName} (demo study)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Description: "Open {#AppName} on the demo study"; Flags: nowait postinstall skipifsilent

[Code]
// Ask, after uninstalling, whether the user's imported models, caches and settings should go too.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  UserData: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    UserData := ExpandConstant('{localappdata}\prima-viewer');
    if DirExists(UserData) and not UninstallSilent() then
      if MsgBox('Also delete your Prima Viewer data (imported models, caches, settings, logs) in ' +
                UserData + '?', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(UserData, True, True, True);
  end;
end;
