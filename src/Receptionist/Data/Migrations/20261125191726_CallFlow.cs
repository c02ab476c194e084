using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class CallFlow : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "scenario_version_id",
                table: "businesses",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "forwarding_checks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    business_id = table.Column<Guid>(type: "uuid", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    provider_call_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    failure_reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_forwarding_checks", x => x.id);
                    table.ForeignKey(
                        name: "fk_forwarding_checks_businesses_business_id",
                        column: x => x.business_id,
                        principalTable: "businesses",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "operator_presence",
                columns: table => new
                {
                    operator_id = table.Column<Guid>(type: "uuid", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operator_presence", x => x.operator_id);
                    table.ForeignKey(
                        name: "fk_operator_presence_users_operator_id",
                        column: x => x.operator_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "scenario_versions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    business_id = table.Column<Guid>(type: "uuid", nullable: false),
                    number = table.Column<int>(type: "integer", nullable: false),
                    built_in_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    source = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scenario_versions", x => x.id);
                    table.ForeignKey(
                        name: "fk_scenario_versions_businesses_business_id",
                        column: x => x.business_id,
                        principalTable: "businesses",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_businesses_scenario_version_id",
                table: "businesses",
                column: "scenario_version_id");

            migrationBuilder.CreateIndex(
                name: "ix_forwarding_checks_pending",
                table: "forwarding_checks",
                column: "business_id",
                filter: "state = 'Pending'");

            migrationBuilder.CreateIndex(
                name: "ix_forwarding_checks_provider_call_id",
                table: "forwarding_checks",
                column: "provider_call_id");

            migrationBuilder.CreateIndex(
                name: "ix_scenario_versions_business_id_number",
                table: "scenario_versions",
                columns: new[] { "business_id", "number" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "fk_businesses_scenario_version_scenario_version_id",
                table: "businesses",
                column: "scenario_version_id",
                principalTable: "scenario_versions",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_businesses_scenario_version_scenario_version_id",
                table: "businesses");

            migrationBuilder.DropTable(
                name: "forwarding_checks");

            migrationBuilder.DropTable(
                name: "operator_presence");

            migrationBuilder.DropTable(
                name: "scenario_versions");

            migrationBuilder.DropIndex(
                name: "ix_businesses_scenario_version_id",
                table: "businesses");

            migrationBuilder.DropColumn(
                name: "scenario_version_id",
                table: "businesses");
        }
    }
}
