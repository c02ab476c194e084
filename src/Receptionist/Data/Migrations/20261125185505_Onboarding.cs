using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class Onboarding : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "businesses",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    owner_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    protected_number = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    time_zone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    language = table.Column<string>(type: "character varying(5)", maxLength: 5, nullable: false),
                    summary_emails = table.Column<List<string>>(type: "text[]", nullable: false),
                    backup_number = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    fallback = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    hours = table.Column<string>(type: "jsonb", nullable: false),
                    forwarding_verified_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_businesses", x => x.id);
                    table.ForeignKey(
                        name: "fk_businesses_users_owner_id",
                        column: x => x.owner_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "receptionist_lines",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    number = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    provider_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    business_id = table.Column<Guid>(type: "uuid", nullable: true),
                    added_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    assigned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_receptionist_lines", x => x.id);
                    table.ForeignKey(
                        name: "fk_receptionist_lines_businesses_business_id",
                        column: x => x.business_id,
                        principalTable: "businesses",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_businesses_owner_id",
                table: "businesses",
                column: "owner_id");

            migrationBuilder.CreateIndex(
                name: "ix_businesses_protected_number",
                table: "businesses",
                column: "protected_number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_receptionist_lines_business_id",
                table: "receptionist_lines",
                column: "business_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_receptionist_lines_free",
                table: "receptionist_lines",
                column: "added_at",
                filter: "business_id IS NULL AND retired_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_receptionist_lines_number",
                table: "receptionist_lines",
                column: "number",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "receptionist_lines");

            migrationBuilder.DropTable(
                name: "businesses");
        }
    }
}
