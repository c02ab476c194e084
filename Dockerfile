# Build
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props Receptionist.sln ./
COPY src/Receptionist/Receptionist.csproj src/Receptionist/
RUN dotnet restore src/Receptionist/Receptionist.csproj
COPY src/ src/
COPY templates/ templates/
RUN dotnet publish src/Receptionist/Receptionist.csproj -c Release -o /app --no-restore

# Run: non-root, port 8080. The database comes from ConnectionStrings__Default.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Receptionist.dll"]
